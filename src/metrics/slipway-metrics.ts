// Slipway's Prometheus metrics (SPEC §7), named like controller-runtime's where the meaning is the same so
// existing dashboards work. The work queue, informer and leader-election metrics live in src/kube/metrics.ts
// (KubeMetrics); this file defines the reconciler's, the webhook's and Slipway's own — the only place each
// of these names is defined. One set per registry (the controller process has one): asking twice for the
// same registry returns the same objects (prom-client refuses duplicate names).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { MEASUREMENT_PHASES, type MeasurementPhase } from "../api/rollout-status.ts";

export const MEASUREMENTS_METRIC = "slipway_analysis_measurements_total";

/** The metric names SPEC §7 promises on /metrics (the tests check that each one is served). */
export const SPEC_METRIC_NAMES = [
  "controller_runtime_reconcile_total",
  "controller_runtime_reconcile_time_seconds",
  "workqueue_depth",
  "workqueue_adds_total",
  "workqueue_queue_duration_seconds",
  "controller_runtime_webhook_requests_total",
  "controller_runtime_webhook_latency_seconds",
  "slipway_rollout_info",
  "slipway_release_duration_seconds",
  MEASUREMENTS_METRIC,
] as const;

export type ReconcileResult = "success" | "error" | "requeue" | "requeue_after";

export interface WebhookMetrics {
  readonly requests: Counter<"webhook" | "code">;
  readonly latency: Histogram<"webhook">;
  readonly inFlight: Gauge;
}

const RECONCILE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WEBHOOK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Releases take minutes to hours: 10 s … 1 day. */
const RELEASE_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

export class SlipwayMetrics {
  readonly reconciles: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly webhook: WebhookMetrics;
  readonly rolloutInfo: Gauge<"namespace" | "rollout" | "phase" | "step">;
  readonly releaseDuration: Histogram<"outcome">;
  readonly measurements: Counter<"result">;
  /** The labels each Rollout's info series has now, so a change replaces the series instead of adding one. */
  readonly #info = new Map<string, { readonly phase: string; readonly step: string }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.reconciles = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.webhook = {
      requests: new Counter({
        name: "controller_runtime_webhook_requests_total",
        help: "Total number of admission requests by HTTP status code.",
        labelNames: ["webhook", "code"],
        registers,
      }),
      latency: new Histogram({
        name: "controller_runtime_webhook_latency_seconds",
        help: "Histogram of the latency of processing admission requests.",
        labelNames: ["webhook"],
        buckets: WEBHOOK_BUCKETS,
        registers,
      }),
      inFlight: new Gauge({
        name: "controller_runtime_webhook_requests_in_flight",
        help: "Current number of admission requests being served.",
        registers,
      }),
    };
    this.rolloutInfo = new Gauge({
      name: "slipway_rollout_info",
      help: "One series per Rollout with value 1: its phase and current step (0 when idle)",
      labelNames: ["namespace", "rollout", "phase", "step"],
      registers,
    });
    this.releaseDuration = new Histogram({
      name: "slipway_release_duration_seconds",
      help: "How long releases took from start to their outcome (Succeeded, RolledBack, Aborted, Superseded)",
      labelNames: ["outcome"],
      buckets: RELEASE_BUCKETS,
      registers,
    });
    this.measurements = new Counter({
      name: MEASUREMENTS_METRIC,
      help: "Analysis measurements taken, by result (Successful, Failed, Inconclusive, Error)",
      labelNames: ["result"],
      registers,
    });
    // Every result is exported from the start, so rate() and alerts see a 0 before the first one.
    for (const result of MEASUREMENT_PHASES) this.measurements.inc({ result }, 0);
  }

  /** One reconcile of `controller` ended; `seconds` is how long it took. */
  reconciled(controller: string, result: ReconcileResult, seconds: number): void {
    this.reconciles.inc({ controller, result });
    if (result === "error") this.reconcileErrors.inc({ controller });
    this.reconcileTime.observe({ controller }, seconds);
  }

  /** The Rollout's phase and step as last written to status. */
  rollout(namespace: string, rollout: string, phase: string, step: number): void {
    const key = `${namespace}/${rollout}`;
    const next = { phase, step: String(step) };
    const last = this.#info.get(key);
    if (last?.phase === next.phase && last.step === next.step) return;
    if (last !== undefined) this.rolloutInfo.remove({ namespace, rollout, ...last });
    this.rolloutInfo.set({ namespace, rollout, ...next }, 1);
    this.#info.set(key, next);
  }

  /** The Rollout is gone: its info series goes too. */
  forget(namespace: string, rollout: string): void {
    const key = `${namespace}/${rollout}`;
    const last = this.#info.get(key);
    if (last !== undefined) this.rolloutInfo.remove({ namespace, rollout, ...last });
    this.#info.delete(key);
  }

  released(outcome: string, seconds: number): void {
    this.releaseDuration.observe({ outcome }, seconds);
  }

  measured(result: MeasurementPhase): void {
    this.measurements.inc({ result });
  }
}

const perRegistry = new WeakMap<Registry, SlipwayMetrics>();

/** The Slipway metrics of `registry`, created on first use. */
export function slipwayMetrics(registry: Registry): SlipwayMetrics {
  let metrics = perRegistry.get(registry);
  if (metrics === undefined) {
    metrics = new SlipwayMetrics(registry);
    perRegistry.set(registry, metrics);
  }
  return metrics;
}
