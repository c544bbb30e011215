// Minimal HTTPS client for bootstrapping (health checks, Node registration) before any kubeconfig
// consumer is involved. Loopback only.
import { request } from "node:https";

export interface TlsIdentity {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Only for components' self-signed health endpoints on 127.0.0.1. */
  readonly insecure?: boolean;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

export function httpsRequest(
  url: string,
  tls: TlsIdentity,
  method = "GET",
  body?: unknown,
  timeoutMs = 5_000,
  /** e.g. "application/apply-patch+yaml" for server-side apply (JSON is valid YAML). */
  contentType = "application/json",
): Promise<HttpResult> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1" && target.hostname !== "localhost") {
    return Promise.reject(new Error(`refusing to dial non-loopback address ${url}`));
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: tls.insecure !== true,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { "content-type": contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs}ms: ${method} ${url}`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export function httpGet(url: string, timeoutMs = 2_000): Promise<HttpResult> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }));
}
