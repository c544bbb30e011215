// Webhook metrics named like controller-runtime's (SPEC §7); served on the controller's metrics port.

import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface WebhookMetrics {
  readonly requests: Counter<"webhook" | "code">;
  readonly latency: Histogram<"webhook">;
  readonly inFlight: Gauge;
}

const cache = new WeakMap<Registry, WebhookMetrics>();

/** The metrics registered on `registry` (once per registry, so two servers in one process can share it). */
export function webhookMetrics(registry: Registry): WebhookMetrics {
  const existing = cache.get(registry);
  if (existing !== undefined) return existing;
  const metrics: WebhookMetrics = {
    requests: new Counter({
      name: "controller_runtime_webhook_requests_total",
      help: "Total number of admission requests by HTTP status code.",
      labelNames: ["webhook", "code"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "controller_runtime_webhook_latency_seconds",
      help: "Histogram of the latency of processing admission requests.",
      labelNames: ["webhook"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "controller_runtime_webhook_requests_in_flight",
      help: "Current number of admission requests being served.",
      registers: [registry],
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
