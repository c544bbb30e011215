// Analysis in status (SPEC §2.1): `status.steps[].analysis` (per-metric summaries of a step's gates) and
// `status.backgroundAnalysis`, read from the persisted run and the reports of the current reconcile.
import { gateStateOfStep, isInconclusiveGate, metricStatuses } from "../analysis/index.ts";
import type { MetricStatus } from "../api/rollout-status.ts";
import type { StepState, WorkflowState } from "../workflow/index.ts";
import { stepPhaseName } from "./compile.ts";
import type { ReleaseRecord } from "./record.ts";

/** Gate summaries reported during this reconcile, by gate step name. */
export type GateReports = ReadonlyMap<string, readonly MetricStatus[]>;

/** The gates of step `index` (`step-<i>.analysis.<j>`), in order, with their persisted states. */
function gatesOf(run: WorkflowState, index: number): { readonly name: string; readonly state: StepState }[] {
  const prefix = `${stepPhaseName(index, "analysis")}.`;
  return Object.entries(run.steps)
    .filter(([name]) => name.startsWith(prefix))
    .map(([name, state]) => ({ name, state }))
    .sort((a, b) => Number(a.name.slice(prefix.length)) - Number(b.name.slice(prefix.length)));
}

/**
 * Step `index`'s metric summaries: what a gate reported in this reconcile (the only record of a gate that
 * just failed: the engine drops a failed step's memory), else its persisted state, else what status
 * showed before. Undefined when the step has no gate that started.
 */
export function stepAnalysis(
  run: WorkflowState,
  index: number,
  reports: GateReports,
  previous: readonly MetricStatus[] | undefined,
): MetricStatus[] | undefined {
  const gates = gatesOf(run, index);
  if (gates.length === 0) return undefined;
  const out: MetricStatus[] = [];
  let missing = false;
  for (const gate of gates) {
    const reported = reports.get(gate.name);
    const persisted = gateStateOfStep(gate.state);
    if (reported !== undefined) out.push(...reported);
    else if (persisted !== undefined) out.push(...metricStatuses(persisted));
    else missing = true;
  }
  if (missing && previous !== undefined) {
    // A gate whose summary is only in the previous status (it failed in an earlier reconcile): keep those.
    const shown = new Set(out.map((m) => `${m.template ?? ""}/${m.metric}`));
    out.push(...previous.filter((m) => !shown.has(`${m.template ?? ""}/${m.metric}`)));
  }
  return out.length === 0 ? undefined : out.slice(0, 32);
}

/** A gate of step `index` suspended on an Inconclusive outcome (its message says why), if any. */
export function inconclusiveGateOf(run: WorkflowState, index: number): StepState | undefined {
  return gatesOf(run, index).find((g) => isInconclusiveGate(g.state))?.state;
}

/** What the running gates of step `index` report (progress, next measurement), for the step's message. */
export function gateMessageOf(run: WorkflowState, index: number): string | undefined {
  const open = gatesOf(run, index).filter(
    (g) => g.state.phase === "Running" || g.state.phase === "Suspended",
  );
  const messages = open.map((g) => g.state.message).filter((m): m is string => m !== undefined);
  return messages.length === 0 ? undefined : messages.join("; ");
}

/** `status.backgroundAnalysis` of the release, if it has background analysis that started. */
export function backgroundAnalysisStatus(record: ReleaseRecord | undefined): MetricStatus[] | undefined {
  const state = record?.background;
  if (state === undefined) return undefined;
  const out = metricStatuses(state.gate);
  return out.length === 0 ? undefined : out.slice(0, 32);
}
