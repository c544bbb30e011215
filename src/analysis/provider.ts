// What a gate measures with: the MetricProvider interface (fakes in tests) and the Prometheus
// implementation, which reads header values from Secrets at measurement time so they never reach
// persisted state, logs or messages.
import type { PrometheusHeader } from "../api/analysis-template.ts";
import { queryPrometheus, type PrometheusRequest, type PrometheusTls } from "./prometheus.ts";
import type { ParsedResponse } from "./prometheus-response.ts";
import type { PreparedMetric } from "./templates.ts";

export interface MetricProvider {
  /** One measurement's raw answer. Never throws; errors come back as `{ok: false, error}`. */
  measure(metric: PreparedMetric): Promise<ParsedResponse>;
}

/** Reads one key of a Secret (informer cache or a GET); undefined when the Secret or key is absent. */
export interface SecretSource {
  secretValue(namespace: string, name: string, key: string): unknown;
}

export interface PrometheusProviderOptions {
  readonly secrets?: SecretSource;
  /** TLS options for every https:// Prometheus (controller flags; the template API has no TLS fields). */
  readonly tls?: PrometheusTls;
  /** Replaces the HTTP call (tests). */
  readonly query?: (request: PrometheusRequest) => Promise<ParsedResponse>;
}

export function prometheusProvider(options: PrometheusProviderOptions = {}): MetricProvider {
  const query = options.query ?? queryPrometheus;
  return {
    async measure(metric) {
      const headers = await resolveHeaders(metric.headers, metric.secretNamespace, options.secrets);
      if (!headers.ok) return headers;
      const p = metric.metric.prometheus;
      return query({
        address: p.address,
        query: metric.query,
        timeoutSeconds: p.timeoutSeconds,
        headers: headers.headers,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      });
    },
  };
}

type Headers =
  | { readonly ok: true; readonly headers: readonly { name: string; value: string }[] }
  | { readonly ok: false; readonly error: string };

export async function resolveHeaders(
  headers: readonly PrometheusHeader[],
  namespace: string,
  secrets: SecretSource | undefined,
): Promise<Headers> {
  const out: { name: string; value: string }[] = [];
  for (const h of headers) {
    if (h.value !== undefined) {
      out.push({ name: h.name, value: h.value });
      continue;
    }
    const ref = h.valueFrom?.secretKeyRef;
    if (ref === undefined)
      return { ok: false, error: `header ${h.name} has neither value nor valueFrom.secretKeyRef` };
    const where = `Secret ${namespace}/${ref.name}`;
    if (secrets === undefined) {
      return {
        ok: false,
        error: `header ${h.name} reads ${where}, but this controller was started without Secret access`,
      };
    }
    let value: unknown;
    try {
      value = await secrets.secretValue(namespace, ref.name, ref.key);
    } catch (err) {
      return {
        ok: false,
        error: `header ${h.name}: reading ${where} failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (typeof value !== "string") {
      return {
        ok: false,
        error: `header ${h.name}: ${where} or its key "${ref.key}" does not exist: create it`,
      };
    }
    // `echo token | kubectl create secret …` leaves a trailing newline; one inside the value is an error.
    const trimmed = value.replace(/\r?\n$/, "");
    if (/[\r\n]/.test(trimmed)) {
      return {
        ok: false,
        error: `header ${h.name}: key "${ref.key}" of ${where} contains a line break: remove it`,
      };
    }
    out.push({ name: h.name, value: trimmed });
  }
  return { ok: true, headers: out };
}
