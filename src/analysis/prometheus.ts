// The Prometheus provider: one instant query over the HTTP API (`POST /api/v1/query`, so long queries do
// not hit URL limits), with a timeout on both sides (Prometheus' `timeout` parameter and our own deadline),
// extra headers (tenant IDs, bearer tokens from Secrets) and TLS options.
//
// node:http(s) rather than fetch: a per-request CA bundle or insecureSkipVerify needs an undici Agent
// with fetch, and undici is not one of our dependencies (docs/decisions/analysis-prometheus-client.md).
import http from "node:http";
import https from "node:https";
import { parsePrometheusResponse, type ParsedResponse } from "./prometheus-response.ts";

export interface PrometheusTls {
  /** Skip certificate verification (a test or lab Prometheus only). */
  readonly insecureSkipVerify?: boolean;
  /** PEM bundle of CAs trusted for this Prometheus, instead of the system's. */
  readonly caPem?: string;
}

export interface PrometheusRequest {
  /** Base URL of the HTTP API, e.g. http://prometheus.monitoring:9090 (a path prefix is kept). */
  readonly address: string;
  readonly query: string;
  readonly timeoutSeconds: number;
  /** Resolved headers (Secret values already read). Never logged or persisted. */
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  readonly tls?: PrometheusTls;
}

/** Largest response body accepted; an instant query for a gate is tiny. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Runs one instant query. Never throws: transport and API errors come back as `{ok: false, error}`. */
export async function queryPrometheus(request: PrometheusRequest): Promise<ParsedResponse> {
  let url: URL;
  try {
    url = new URL(`${request.address.replace(/\/+$/, "")}/api/v1/query`);
  } catch {
    return { ok: false, error: `address ${JSON.stringify(request.address)} is not a URL` };
  }
  const body = new URLSearchParams({
    query: request.query,
    timeout: `${request.timeoutSeconds}s`,
  }).toString();
  const reply = await post(url, body, request);
  if (!reply.ok) return reply;
  let json: unknown;
  try {
    json = JSON.parse(reply.body);
  } catch {
    const status = reply.status >= 400 ? `HTTP ${reply.status} with ` : "";
    return {
      ok: false,
      error: `Prometheus at ${url.origin} answered ${status}a body that is not JSON: ${snippet(reply.body)}`,
    };
  }
  return parsePrometheusResponse(json, reply.status);
}

type Reply =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly error: string };

function post(url: URL, body: string, request: PrometheusRequest): Promise<Reply> {
  const timeoutMs = request.timeoutSeconds * 1000;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
    "user-agent": "slipway-analysis",
    "content-length": String(Buffer.byteLength(body)),
  };
  for (const h of request.headers ?? []) headers[h.name] = h.value;
  const secure = url.protocol === "https:";
  const tls = secure
    ? {
        ...(request.tls?.caPem === undefined ? {} : { ca: request.tls.caPem }),
        ...(request.tls?.insecureSkipVerify === true ? { rejectUnauthorized: false } : {}),
      }
    : {};
  return new Promise<Reply>((resolve) => {
    let settled = false;
    const finish = (reply: Reply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(reply);
    };
    const where = `Prometheus at ${url.origin}`;
    let req: http.ClientRequest;
    try {
      req = (secure ? https : http).request(url, { method: "POST", headers, ...tls }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            finish({
              ok: false,
              error: `${where} sent more than ${MAX_RESPONSE_BYTES} bytes: aggregate the query`,
            });
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () =>
          finish({ ok: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) =>
          finish({ ok: false, error: `${where}: reading the answer failed: ${err.message}` }),
        );
      });
    } catch (err) {
      // Invalid header names or values are refused synchronously; never echo the value (it may be a secret).
      const message = err instanceof Error ? err.message.replace(/".*"/, "(value hidden)") : String(err);
      resolve({ ok: false, error: `cannot send the query to ${where}: ${message}` });
      return;
    }
    const timer = setTimeout(() => {
      finish({
        ok: false,
        error: `${where} did not answer within the timeout of ${request.timeoutSeconds}s`,
      });
      req.destroy();
    }, timeoutMs);
    req.on("error", (err) => finish({ ok: false, error: `cannot reach ${where}: ${describeNetError(err)}` }));
    req.end(body);
  });
}

function describeNetError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
}

function snippet(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 119)}…` : line);
}
