// `slipway_analysis_measurements_total{result}` (SPEC §7). The gate talks to a small sink (no-op by
// default, easy to assert in tests); AnalysisMetrics points it at the counter defined once in
// src/metrics/slipway-metrics.ts, on the registry the controller serves.
import type { Registry } from "prom-client";
import type { MeasurementPhase } from "../api/rollout-status.ts";
import { slipwayMetrics, type SlipwayMetrics } from "../metrics/slipway-metrics.ts";

export { MEASUREMENTS_METRIC } from "../metrics/slipway-metrics.ts";

export interface AnalysisMetricsSink {
  /** One measurement taken, by its phase: Successful, Failed, Inconclusive or Error. */
  measurement(result: MeasurementPhase): void;
}

export const NOOP_ANALYSIS_METRICS: AnalysisMetricsSink = { measurement: () => {} };

export class AnalysisMetrics implements AnalysisMetricsSink {
  readonly #metrics: SlipwayMetrics;

  constructor(registry: Registry) {
    this.#metrics = slipwayMetrics(registry);
  }

  measurement(result: MeasurementPhase): void {
    this.#metrics.measured(result);
  }
}
