// Controller metrics, named like controller-runtime's where the meaning is the same (SPEC §7).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const CONTROLLER = "rollout";

export class ControllerMetrics {
  readonly #reconciles: Counter<"controller" | "result">;
  readonly #errors: Counter<"controller">;
  readonly #time: Histogram<"controller">;
  readonly #info: Gauge<"namespace" | "rollout" | "phase" | "step">;
  readonly #releases: Histogram<"outcome">;
  readonly #last = new Map<string, { phase: string; step: string }>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.#reconciles = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.#errors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.#time = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#info = new Gauge({
      name: "slipway_rollout_info",
      help: "One series per Rollout: its phase and current step",
      labelNames: ["namespace", "rollout", "phase", "step"],
      registers,
    });
    this.#releases = new Histogram({
      name: "slipway_release_duration_seconds",
      help: "How long releases took, from start to their outcome",
      labelNames: ["outcome"],
      buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
      registers,
    });
  }

  reconciled(result: "success" | "error" | "requeue", startedAt: number): void {
    this.#reconciles.inc({ controller: CONTROLLER, result });
    if (result === "error") this.#errors.inc({ controller: CONTROLLER });
    this.#time.observe({ controller: CONTROLLER }, (performance.now() - startedAt) / 1000);
  }

  rollout(namespace: string, rollout: string, phase: string, step: number): void {
    const key = `${namespace}/${rollout}`;
    const last = this.#last.get(key);
    const next = { phase, step: String(step) };
    if (last?.phase === next.phase && last.step === next.step) return;
    if (last !== undefined) this.#info.remove({ namespace, rollout, ...last });
    this.#info.set({ namespace, rollout, ...next }, 1);
    this.#last.set(key, next);
  }

  released(outcome: string, seconds: number): void {
    this.#releases.observe({ outcome }, seconds);
  }

  forget(namespace: string, rollout: string): void {
    const key = `${namespace}/${rollout}`;
    const last = this.#last.get(key);
    if (last !== undefined) this.#info.remove({ namespace, rollout, ...last });
    this.#last.delete(key);
  }
}
