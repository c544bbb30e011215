// The HTTPS server: routes, limits sized for admission traffic, hot certificate swap and a graceful drain.

import type { Server as HttpsServer } from "node:https";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from "fastify";
import type { Registry } from "prom-client";
import {
  deny,
  parseAdmissionReview,
  review,
  type AdmissionRequest,
  type AdmissionResponse,
} from "./admission-review.ts";
import { slipwayMetrics } from "../src/metrics/slipway-metrics.ts";
import { mutateRollout, mutateWorkload, validateRollout, type HandlerDeps } from "./handlers.ts";
import { PATHS } from "./paths.ts";

/** An UPDATE carries object and oldObject; objects reach ~1.5 MiB in etcd, so 8 MiB leaves headroom. */
export const BODY_LIMIT_BYTES = 8 * 1024 * 1024;
/** Answer before the API server's `timeoutSeconds: 5` gives up, so the caller sees our message. */
export const HANDLER_TIMEOUT_MS = 4_000;
/** Longer than the API server's 90 s idle-connection timeout, so it is always the one to close. */
const KEEP_ALIVE_TIMEOUT_MS = 120_000;

export interface CertificatePair {
  readonly key: string;
  readonly cert: string;
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

export interface WebhookServerOptions {
  readonly deps: HandlerDeps;
  /** Omitted in unit tests (plain HTTP through `inject`). */
  readonly tls?: CertificatePair;
  readonly logger?: FastifyBaseLogger;
  readonly metrics?: Registry;
  readonly bodyLimitBytes?: number;
  readonly handlerTimeoutMs?: number;
}

export interface WebhookServer {
  readonly app: FastifyInstance;
  /** Serve this certificate on new connections from now on; open connections finish on the old one. */
  setCertificate(pair: CertificatePair): void;
  /** Fail readiness, keep serving `delayMs` while endpoints update, then close after in-flight requests. */
  drain(delayMs: number): Promise<void>;
  isReady(): boolean;
}

type Handler = (request: AdmissionRequest) => Promise<AdmissionResponse> | AdmissionResponse;

export function createWebhookServer(options: WebhookServerOptions): WebhookServer {
  const handlerTimeout = options.handlerTimeoutMs ?? HANDLER_TIMEOUT_MS;
  const app = Fastify({
    ...(options.tls === undefined
      ? {}
      : {
          https: {
            key: options.tls.key,
            cert: options.tls.cert,
            minVersion: "TLSv1.2" as const,
            headersTimeout: handlerTimeout,
            // Node checks request timeouts on this interval (default 30 s); make the limit real.
            connectionsCheckingInterval: 500,
          },
        }),
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: options.bodyLimitBytes ?? BODY_LIMIT_BYTES,
    requestTimeout: handlerTimeout + 500,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: "idle",
    return503OnClosing: true,
    // Per-request lines would dominate at admission rates; decisions are logged by the route instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const metrics = options.metrics === undefined ? undefined : slipwayMetrics(options.metrics).webhook;
  let draining = false;
  let hasCertificate = options.tls !== undefined;

  const route = (path: string, handler: Handler) => {
    app.post(path, async (request, reply) => {
      // The API server always sends JSON; fastify would otherwise hand a text/plain body over as a string.
      if (!JSON_CONTENT_TYPE.test(request.headers["content-type"] ?? "")) {
        return reply
          .code(415)
          .send({ message: "an AdmissionReview must be sent with content-type: application/json" });
      }
      const parsed = parseAdmissionReview(request.body);
      if (!parsed.ok) {
        if (parsed.uid !== undefined) return review(deny(parsed.uid, parsed.message, 400));
        return reply.code(400).send({ message: parsed.message });
      }
      const admission = parsed.request;
      let response: AdmissionResponse;
      try {
        response = await withDeadline(handler(admission), handlerTimeout, () =>
          deny(admission.uid, `the Slipway webhook timed out on ${path}; retry`, 504),
        );
      } catch (err) {
        request.log.error({ err, uid: admission.uid, path }, "admission handler failed");
        response = deny(admission.uid, `the Slipway webhook failed on ${path}: ${errorText(err)}`, 500);
      }
      if (response.patch !== undefined || !response.allowed) {
        request.log.info(
          {
            webhook: path,
            uid: admission.uid,
            kind: admission.kind.kind,
            namespace: admission.namespace,
            name: admission.name,
            user: admission.userInfo.username,
            allowed: response.allowed,
            patched: response.patch !== undefined,
            message: response.status?.message,
            warnings: response.warnings,
          },
          "admission decision",
        );
      }
      return review(response);
    });
  };
  route(PATHS.mutateWorkload, (r) => mutateWorkload(r, options.deps));
  route(PATHS.mutateRollout, (r) => mutateRollout(r));
  route(PATHS.validateRollout, (r) => validateRollout(r, options.deps));

  app.get("/healthz", async () => ({ status: "ok" }));
  const isReady = () => !draining && hasCertificate && options.deps.rollouts.hasSynced();
  app.get("/readyz", async (_request, reply) => {
    if (isReady()) return { status: "ok" };
    const why = draining ? "draining" : !hasCertificate ? "no certificate" : "Rollout cache not synced";
    return reply.code(503).send({ status: why });
  });

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const status = typeof error.statusCode === "number" ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "webhook request failed");
    return reply.code(status).send({ message: error.message, code: error.code });
  });

  if (metrics !== undefined) {
    app.addHook("onRequest", async () => void metrics.inFlight.inc());
    app.addHook("onResponse", async (request, reply) => {
      metrics.inFlight.dec();
      const webhook = request.routeOptions.url ?? "unknown";
      metrics.requests.inc({ webhook, code: String(reply.statusCode) });
      metrics.latency.observe({ webhook }, reply.elapsedTime / 1000);
    });
  }

  return {
    app,
    setCertificate(pair: CertificatePair) {
      if (options.tls === undefined) throw new Error("the webhook server was created without TLS");
      (app.server as HttpsServer).setSecureContext({ key: pair.key, cert: pair.cert, minVersion: "TLSv1.2" });
      hasCertificate = true;
    },
    async drain(delayMs: number) {
      draining = true;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await app.close();
    },
    isReady,
  };
}

/**
 * The handler's answer, or `onTimeout()` once `ms` have passed: the API server waits 5 s at most, and a
 * refusal that says why beats its generic timeout. (fastify's own handlerTimeout builds an AbortError
 * with a stack trace for every request, which cost more than the admission decision itself.)
 */
async function withDeadline<T>(work: Promise<T> | T, ms: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
