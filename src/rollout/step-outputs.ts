// What traffic and analysis step types report, read back for status. The contract for those step types
// (later issues): a `traffic` step returns `succeeded({ weight })`; an `analysis` gate keeps
// `{ metrics: MetricStatus[] }` in its memory while it runs and returns it in its outputs when done, and
// suspends with token `approve-<step>` when inconclusive (approve continues, SPEC §2.2).
import type { MetricStatus } from "../api/rollout-status.ts";
import type { JsonValue, WorkflowState } from "../workflow/index.ts";
import { FINALLY_NAMES, parseStepName, stepPhaseName } from "./compile.ts";

const MAX_METRICS = 32;

/** Canary traffic % after the run's traffic steps; 0 once a restore ran; undefined when none ran. */
export function trafficWeightOf(run: WorkflowState): number | undefined {
  for (const name of [
    FINALLY_NAMES.finishTraffic,
    FINALLY_NAMES.abortTraffic,
    FINALLY_NAMES.rollbackTraffic,
  ]) {
    if (run.steps[name]?.phase === "Succeeded") return 0;
  }
  let latest: { index: number; weight: number } | undefined;
  for (const [name, state] of Object.entries(run.steps)) {
    const parsed = parseStepName(name);
    const weight = state.outputs?.["weight"];
    if (parsed?.phase !== "traffic" || state.phase !== "Succeeded" || typeof weight !== "number") continue;
    if (latest === undefined || parsed.index > latest.index) latest = { index: parsed.index, weight };
  }
  return latest?.weight;
}

function metricsIn(value: JsonValue | undefined): MetricStatus[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const metrics = (value as { readonly [key: string]: JsonValue })["metrics"];
  return Array.isArray(metrics) ? (metrics as unknown as MetricStatus[]) : [];
}

/** The metric gates of step `index` (from its analysis sub-steps), for status.steps[].analysis. */
export function analysisOf(run: WorkflowState, index: number): MetricStatus[] | undefined {
  const prefix = `${stepPhaseName(index, "analysis")}.`;
  const out: MetricStatus[] = [];
  for (const [name, state] of Object.entries(run.steps)) {
    if (!name.startsWith(prefix)) continue;
    out.push(...(state.outputs !== undefined ? metricsIn(state.outputs) : metricsIn(state.memory)));
  }
  return out.length === 0 ? undefined : out.slice(0, MAX_METRICS);
}

/** An analysis gate of step `index` waiting for a human (inconclusive), with its message. */
export function inconclusiveGate(run: WorkflowState, index: number): string | undefined {
  const prefix = `${stepPhaseName(index, "analysis")}.`;
  for (const [name, state] of Object.entries(run.steps)) {
    if (name.startsWith(prefix) && state.phase === "Suspended")
      return state.message ?? "analysis inconclusive";
  }
  return undefined;
}
