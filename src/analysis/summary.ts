// How a gate reads to people: the per-metric summary the reconciler puts into `status.steps[].analysis`
// and `status.backgroundAnalysis` (MetricStatus in src/api/rollout-status.ts), and the one-line verdicts
// used as step messages ("analysis failed: metric … value … condition …").
import type { MetricPhase, MetricStatus } from "../api/rollout-status.ts";
import type { GateState, MetricState, StoredMeasurement } from "./gate.ts";
import type { Outcome } from "./outcome.ts";

/** The API's view of a gate's state (timestamps as RFC 3339). */
export function metricStatuses(state: GateState | undefined): MetricStatus[] {
  return (state?.metrics ?? []).map(metricStatus);
}

export function metricStatus(m: MetricState): MetricStatus {
  const { template, metric } = splitKey(m.key);
  const message = metricMessage(m);
  return {
    metric,
    template,
    phase: phaseOf(m),
    ...(message === undefined ? {} : { message: cut(message, 1024) }),
    count: m.count,
    successful: m.successful,
    failed: m.failed,
    inconclusive: m.inconclusive,
    errors: m.errors,
    consecutiveErrors: m.consecutiveErrors,
    ...(m.phase === "Running" ? { nextMeasurementAt: iso(m.nextAt) } : {}),
    measurements: m.measurements.map((x) => ({
      phase: x.phase,
      at: iso(x.at),
      ...(x.value === undefined ? {} : { value: x.value }),
      ...(x.message === undefined ? {} : { message: x.message }),
    })),
  };
}

function phaseOf(m: MetricState): MetricPhase {
  if (m.phase === "Running") return m.taken === 0 ? "Pending" : "Running";
  return m.phase;
}

/** Why a metric ended the way it did; undefined while it runs. */
function metricMessage(m: MetricState): string | undefined {
  if (m.phase === "Running") {
    const last = lastOf(m);
    return last !== undefined && last.phase !== "Successful" ? describeMeasurement(last) : undefined;
  }
  const last = lastOf(m);
  const detail = last === undefined ? "" : `: ${describeMeasurement(last)}`;
  return `${m.rule ?? m.phase}${detail}`;
}

/** "value 0.5: failureCondition "result[0] > 0.05" is true" or the error. */
export function describeMeasurement(x: StoredMeasurement): string {
  const value = x.value === undefined ? "" : `value ${x.value}`;
  if (x.message === undefined) return value === "" ? x.phase : value;
  return value === "" ? x.message : `${value}: ${x.message}`;
}

/**
 * The step message for a decided gate: which metric, its last value, the condition and the limit,
 * e.g. `analysis failed: metric "error-rate" (template error-rate): value 0.5: failureCondition
 * "result[0] > 0.05" is true (1 failed > failureLimit 0)`.
 */
export function verdictMessage(state: GateState, outcome: Exclude<Outcome, "Running">): string {
  if (outcome === "Successful") {
    const counts = state.metrics.map((m) => `${splitKey(m.key).metric} ${m.successful}/${m.count}`);
    return `analysis successful (${counts.join(", ")} successful measurements)`;
  }
  const decisive = state.metrics.find((m) => m.phase === outcome);
  if (decisive === undefined) return `analysis ${outcome.toLowerCase()}`;
  const { template, metric } = splitKey(decisive.key);
  const last = lastOf(decisive);
  const what = last === undefined ? "no measurement" : describeMeasurement(last);
  const word = outcome === "Failed" ? "failed" : "inconclusive";
  return `analysis ${word}: metric "${metric}" (template ${template}): ${what} (${decisive.rule ?? outcome})`;
}

/** A running gate's progress, for wait reasons: "success-rate 2/4, error-rate 1/4". */
export function progressMessage(
  state: GateState,
  counts: ReadonlyMap<string, number>,
  nextAt: number | undefined,
): string {
  const parts = state.metrics.map((m) => {
    const total = counts.get(m.key);
    return `${splitKey(m.key).metric} ${m.count}${total === undefined ? "" : `/${total}`}`;
  });
  const next = nextAt === undefined ? "" : `; next at ${iso(nextAt)}`;
  return `analysis: ${parts.join(", ")} measurements${next}`;
}

export function splitKey(key: string): { readonly template: string; readonly metric: string } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { template: "", metric: key }
    : { template: key.slice(0, slash), metric: key.slice(slash + 1) };
}

function lastOf(m: MetricState): StoredMeasurement | undefined {
  return m.measurements[m.measurements.length - 1];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
