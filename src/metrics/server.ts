// The controller's HTTP endpoints for operators: /metrics (Prometheus), /healthz (liveness) and /readyz
// (readiness), on one port. Readiness reflects whether the caches are synced (a replica serving the
// webhook from an empty cache would wave releases through); leader state is reported but does not make a
// standby unready, because every replica serves the webhook.
//
//   const server = await startMetricsServer({ port: 8080, registry, readiness: [informersSynced(...)] });
//   server.url  // http://127.0.0.1:8080
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface CheckResult {
  readonly ok: boolean;
  /** Shown in the verbose output ("[+]informers ok: 4/4 synced"). */
  readonly detail?: string;
}

export interface HealthCheck {
  readonly name: string;
  readonly check: () => CheckResult;
}

export interface MetricsServerOptions {
  /** 0 picks a free port (see `port` on the result). */
  readonly port: number;
  /** Default 127.0.0.1; "0.0.0.0" in a pod so the kubelet and Prometheus can reach it. */
  readonly host?: string;
  readonly registry: Registry;
  readonly readiness?: readonly HealthCheck[];
  readonly liveness?: readonly HealthCheck[];
}

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function runChecks(checks: readonly HealthCheck[]): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  for (const { name, check } of checks) {
    let result: CheckResult;
    try {
      result = check();
    } catch (err) {
      result = { ok: false, detail: `check failed: ${String(err)}` };
    }
    ok &&= result.ok;
    lines.push(
      `[${result.ok ? "+" : "-"}]${name} ${result.ok ? "ok" : "failed"}${result.detail ? `: ${result.detail}` : ""}`,
    );
  }
  return { ok, lines };
}

/** kube-apiserver's format: "ok", or with ?verbose one line per check. 200 when all pass, else 503. */
function health(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: string,
  checks: readonly HealthCheck[],
): void {
  const { ok, lines } = runChecks(checks);
  const verbose = new URL(req.url ?? "/", "http://localhost").searchParams.has("verbose");
  const body =
    verbose || !ok ? `${[...lines, `${endpoint} check ${ok ? "passed" : "failed"}`].join("\n")}\n` : "ok";
  res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    switch (path) {
      case "/metrics":
        options.registry
          .metrics()
          .then((text) => res.writeHead(200, { "Content-Type": options.registry.contentType }).end(text))
          .catch((err: unknown) => res.writeHead(500).end(`collecting metrics failed: ${String(err)}\n`));
        return;
      case "/healthz":
      case "/livez":
        health(req, res, "healthz", options.liveness ?? []);
        return;
      case "/readyz":
        health(req, res, "readyz", options.readiness ?? []);
        return;
      default:
        res
          .writeHead(404, { "Content-Type": "text/plain" })
          .end("not found: try /metrics, /healthz or /readyz\n");
    }
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Ready once every informer has applied its first LIST. */
export function informersSynced(informers: readonly { hasSynced(): boolean }[]): HealthCheck {
  return {
    name: "informers",
    check: () => {
      const synced = informers.filter((i) => i.hasSynced()).length;
      return { ok: synced === informers.length, detail: `${synced}/${informers.length} synced` };
    },
  };
}

/**
 * Reports whether this replica leads. Informational by default (a standby is ready: it serves the
 * webhook); `required: true` makes only the leader ready, for deployments without a webhook.
 */
export function leaderState(
  isLeader: () => boolean,
  options: { readonly required?: boolean } = {},
): HealthCheck {
  return {
    name: "leader",
    check: () => {
      const leading = isLeader();
      return { ok: leading || options.required !== true, detail: leading ? "leading" : "standby" };
    },
  };
}
