// `slipway_analysis_measurements_total{result}` (SPEC §7). The gate talks to a small sink (no-op by
// default, easy to assert in tests); AnalysisMetrics backs it with prom-client on the registry the
// controller serves (the lead wires the registry in main.ts).
import { Counter, type Registry } from "prom-client";
import { MEASUREMENT_PHASES, type MeasurementPhase } from "../api/rollout-status.ts";

export interface AnalysisMetricsSink {
  /** One measurement taken, by its phase: Successful, Failed, Inconclusive or Error. */
  measurement(result: MeasurementPhase): void;
}

export const NOOP_ANALYSIS_METRICS: AnalysisMetricsSink = { measurement: () => {} };

export const MEASUREMENTS_METRIC = "slipway_analysis_measurements_total";

export class AnalysisMetrics implements AnalysisMetricsSink {
  readonly #measurements: Counter<"result">;

  constructor(registry: Registry) {
    this.#measurements = new Counter({
      name: MEASUREMENTS_METRIC,
      help: "Analysis measurements taken, by result (Successful, Failed, Inconclusive, Error)",
      labelNames: ["result"],
      registers: [registry],
    });
    // Every result is exported from the start, so rate() and alerts see a 0 before the first one.
    for (const result of MEASUREMENT_PHASES) this.#measurements.inc({ result }, 0);
  }

  measurement(result: MeasurementPhase): void {
    this.#measurements.inc({ result });
  }
}
