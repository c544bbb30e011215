// Wiring of the running webhook: API client, Rollout informer, certificates, server, configurations,
// and the order they start and stop in. `slipway webhook` and the e2e tests call `runWebhook`.

import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createKubeClient } from "../src/kube/client.ts";
import { CertManager } from "./certs/cert-manager.ts";
import { readCertDir, watchCertDir } from "./certs/cert-dir.ts";
import { servingHosts, type KeyPairPem } from "./certs/generate.ts";
import { DEFAULT_POLICY_TIMES, type CertificatePolicy } from "./certs/rotation.ts";
import type { WebhookEndpoint } from "./configurations.ts";
import { KubeCertStore } from "./kube/cert-store.ts";
import { startRolloutInformer } from "./kube/rollout-informer.ts";
import { apiTemplateReader } from "./kube/template-reader.ts";
import { apiWorkloadReader } from "./kube/workload-reader.ts";
import type { RolloutCache } from "./rollout-cache.ts";
import { createWebhookServer, type WebhookServer } from "./server.ts";

export interface RunWebhookOptions {
  /** Local mode: listen on 127.0.0.1 and register `https://127.0.0.1:PORT` (SPEC §4.2). */
  readonly local: boolean;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Slipway's namespace: the certificate Secret lives here and it is never intercepted. */
  readonly namespace: string;
  /** In-cluster: the Service in front of the webhook. */
  readonly service: string;
  /** Local mode: the base URL to register instead of https://127.0.0.1:PORT. */
  readonly webhookUrl?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Serve tls.crt/tls.key from here (reloaded on change) instead of self-managed certificates. */
  readonly certDir?: string;
  readonly certificateTimes?: Partial<Omit<CertificatePolicy, "hosts">>;
  /** How long to keep serving after SIGTERM while endpoints update. */
  readonly drainDelayMs: number;
  /** How long to wait for the Rollout cache before publishing the configurations anyway. */
  readonly syncTimeoutMs?: number;
  readonly logger: Logger;
  readonly metrics?: Registry;
}

export interface RunningWebhook {
  readonly server: WebhookServer;
  /** The base URL the API server uses (local mode) or the listening address (in-cluster). */
  readonly url: string;
  readonly certificates: CertManager | undefined;
  /** The in-memory Rollouts admission decides from. */
  readonly rollouts: RolloutCache;
  /** Drain and release everything; resolves when in-flight requests have finished. */
  stop(): Promise<void>;
}

export async function runWebhook(options: RunWebhookOptions): Promise<RunningWebhook> {
  const log = options.logger;
  const { client } = createKubeClient(
    {
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      ...(options.context === undefined ? {} : { context: options.context }),
    },
    { userAgent: "slipway-webhook/0.1.0" },
  );
  const informer = startRolloutInformer(client, log);
  const deps = {
    rollouts: informer.cache,
    workloads: apiWorkloadReader(client),
    templates: apiTemplateReader(client),
    now: () => new Date(),
  };
  let initial: KeyPairPem | undefined;
  // Until the server exists, a renewed certificate only becomes the one it will start with.
  let swapCertificate = (pair: KeyPairPem): void => {
    initial = pair;
  };
  let endpoint: WebhookEndpoint = { type: "url", baseUrl: "https://127.0.0.1:0" };
  const store = new KubeCertStore({
    transport: client,
    namespace: options.namespace,
    configuration: {
      get endpoint() {
        return endpoint;
      },
      namespace: options.namespace,
    },
  });

  let certificates: CertManager | undefined;
  let caFromDir: string | undefined;
  if (options.certDir !== undefined) {
    const files = await readCertDir(options.certDir);
    initial = files.serving;
    caFromDir = files.ca;
  } else {
    certificates = new CertManager({
      store,
      policy: {
        ...DEFAULT_POLICY_TIMES,
        ...options.certificateTimes,
        hosts: servingHosts(options.service, options.namespace, options.local),
      },
      onServingCertificate: (pair) => swapCertificate(pair),
      logger: log,
      publishImmediately: false,
    });
    initial = (await certificates.reconcile()).serving;
  }

  const server = createWebhookServer({
    deps,
    tls: initial,
    logger: log,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  swapCertificate = (pair) => {
    server.setCertificate(pair);
  };
  await server.app.listen({ host: options.local ? "127.0.0.1" : "0.0.0.0", port: options.port });
  const port = (server.app.server.address() as AddressInfo).port;
  endpoint = options.local
    ? { type: "url", baseUrl: options.webhookUrl ?? `https://127.0.0.1:${port}` }
    : { type: "service", namespace: options.namespace, name: options.service, port: 443 };
  const url = endpoint.type === "url" ? endpoint.baseUrl : `https://0.0.0.0:${port}`;

  // Point the API server at us only once we can answer with knowledge of the Rollouts.
  await Promise.race([
    new Promise<void>((resolve) => {
      const poll = setInterval(() => informer.cache.hasSynced() && (clearInterval(poll), resolve()), 50);
      poll.unref();
    }),
    new Promise<void>((resolve) => setTimeout(resolve, options.syncTimeoutMs ?? 30_000).unref()),
  ]);
  if (!informer.cache.hasSynced())
    log.warn({}, "the Rollout cache has not synced yet; admission fails closed until it does");

  let dirWatch: { stop(): void } | undefined;
  if (certificates !== undefined) {
    await certificates.start();
  } else if (options.certDir !== undefined) {
    if (caFromDir !== undefined) await store.publishCaBundle(caFromDir);
    const running = server;
    dirWatch = watchCertDir(
      options.certDir,
      { serving: initial, ca: caFromDir },
      (files) => {
        running.setCertificate(files.serving);
        if (files.ca !== undefined)
          void store
            .publishCaBundle(files.ca)
            .catch((err: unknown) => log.error({ err: String(err) }, "publishing the caBundle failed"));
      },
      log,
    );
  }
  log.info({ url, namespace: options.namespace, local: options.local }, "slipway webhook serving");

  const running = server;
  return {
    server: running,
    url,
    certificates,
    rollouts: informer.cache,
    async stop() {
      certificates?.stop();
      dirWatch?.stop();
      await running.drain(options.drainDelayMs);
      await informer.stop();
      await client.kc.closeConnections();
    },
  };
}
