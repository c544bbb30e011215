// From measurements to a metric's outcome to a gate's outcome (SPEC §2.2). Pure and table-tested.
//
// - A measurement is Successful, Failed, Inconclusive or Error. `count` counts the first three: an Error
//   (query failed) is retried and does not use up a measurement.
// - A metric is Failed once failed > failureLimit; Inconclusive once inconclusive > inconclusiveLimit;
//   past consecutiveErrorLimit errors in a row it is Inconclusive (onError: Inconclusive) or Failed
//   (onError: Fail); Successful when `count` measurements were taken without that (step gates only:
//   background analysis runs until the release ends). Worst first: Failed beats Inconclusive.
// - A gate is Failed as soon as any metric failed, else Inconclusive as soon as any metric is, else
//   Successful once all are; it does not wait for the other metrics (a human or the abort acts at once).
import type { OnErrorPolicy } from "../api/analysis-template.ts";
import type { MeasurementPhase } from "../api/rollout-status.ts";

export interface Counters {
  /** Measurements that are not errors. */
  readonly count: number;
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly errors: number;
  readonly consecutiveErrors: number;
}

export interface Limits {
  readonly count: number;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly consecutiveErrorLimit: number;
  readonly onError: OnErrorPolicy;
}

export type Outcome = "Running" | "Successful" | "Failed" | "Inconclusive";

export interface MetricOutcome {
  readonly phase: Outcome;
  /** Which rule decided it, e.g. "2 failed > failureLimit 1". */
  readonly rule?: string;
}

export const NO_MEASUREMENTS: Counters = {
  count: 0,
  successful: 0,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
};

export function countMeasurement(c: Counters, phase: MeasurementPhase): Counters {
  switch (phase) {
    case "Successful":
      return { ...c, count: c.count + 1, successful: c.successful + 1, consecutiveErrors: 0 };
    case "Failed":
      return { ...c, count: c.count + 1, failed: c.failed + 1, consecutiveErrors: 0 };
    case "Inconclusive":
      return { ...c, count: c.count + 1, inconclusive: c.inconclusive + 1, consecutiveErrors: 0 };
    case "Error":
      return { ...c, errors: c.errors + 1, consecutiveErrors: c.consecutiveErrors + 1 };
    default: {
      const unknown: never = phase;
      throw new Error(`unknown measurement phase ${String(unknown)}`);
    }
  }
}

/** The metric's outcome so far. `bounded` is false for background analysis (no `count` end). */
export function metricOutcome(c: Counters, limits: Limits, bounded: boolean): MetricOutcome {
  if (c.failed > limits.failureLimit) {
    return { phase: "Failed", rule: `${c.failed} failed > failureLimit ${limits.failureLimit}` };
  }
  if (c.consecutiveErrors > limits.consecutiveErrorLimit) {
    const rule =
      `${c.consecutiveErrors} errors in a row > consecutiveErrorLimit ${limits.consecutiveErrorLimit} ` +
      `(onError: ${limits.onError})`;
    return { phase: limits.onError === "Fail" ? "Failed" : "Inconclusive", rule };
  }
  if (c.inconclusive > limits.inconclusiveLimit) {
    return {
      phase: "Inconclusive",
      rule: `${c.inconclusive} inconclusive > inconclusiveLimit ${limits.inconclusiveLimit}`,
    };
  }
  if (bounded && c.count >= limits.count) {
    return { phase: "Successful", rule: `${c.count} of ${limits.count} measurements taken` };
  }
  return { phase: "Running" };
}

/** Failed if any metric failed, else Inconclusive if any is, else Running while any runs, else Successful. */
export function gateOutcome(outcomes: readonly Outcome[]): Outcome {
  if (outcomes.includes("Failed")) return "Failed";
  if (outcomes.includes("Inconclusive")) return "Inconclusive";
  if (outcomes.includes("Running")) return "Running";
  return "Successful";
}
