// Reading a release run's persisted state in release terms: which step it is at, in which phase, whether it
// is still moving through its steps or already finishing/aborting.
import type { StepState, WorkflowDefinition, WorkflowState } from "../workflow/index.ts";
import {
  parseStepName,
  stepGroupName,
  stepPhaseName,
  trafficPrepNames,
  type StepPhaseName,
} from "./compile.ts";

const FINISHED = new Set(["Succeeded", "Failed", "Skipped"]);
const isFinished = (state: StepState | undefined): boolean =>
  state !== undefined && FINISHED.has(state.phase);

/** Steps of a release definition (its top-level `step-<i>` groups). */
export function stepCount(definition: WorkflowDefinition | undefined): number {
  return (definition?.steps ?? []).filter((s) => parseStepName(s.name)?.phase === "group").length;
}

/** The run still works through its steps (not finishing, aborting or done). */
export function isInMain(run: WorkflowState, definition: WorkflowDefinition | undefined): boolean {
  if (run.phase !== "Running" && run.phase !== "Suspended") return false;
  if (run.terminate !== undefined) return false;
  const main = definition?.steps ?? [];
  return main.some((step) => !isFinished(run.steps[step.name]));
}

/**
 * 1-based index of the first step that did not succeed (the one running, or where an abort stopped the
 * release); the last step once all succeeded; 0 for a run without steps.
 */
export function currentStepIndex(run: WorkflowState, definition: WorkflowDefinition | undefined): number {
  const n = stepCount(definition);
  for (let i = 1; i <= n; i++) {
    if (run.steps[stepGroupName(i)]?.phase !== "Succeeded") return i;
  }
  return n;
}

export interface CurrentPhase {
  readonly phase: StepPhaseName;
  readonly state: StepState;
}

/** The phase of step `index` that is running now (the last started one), if any. */
export function currentPhaseOf(run: WorkflowState, index: number): CurrentPhase | undefined {
  let found: CurrentPhase | undefined;
  for (const phase of ["upgrade", "traffic", "analysis", "pause"] as const) {
    const names =
      phase === "traffic"
        ? [...trafficPrepNames(index), stepPhaseName(index, phase)]
        : [stepPhaseName(index, phase)];
    for (const name of names) {
      const state = run.steps[name];
      if (state !== undefined && !isFinished(state)) found = { phase, state };
    }
  }
  return found;
}

/** The running upgrade step (its index and state), for the progress deadline. */
export function runningUpgrade(run: WorkflowState): { index: number; state: StepState } | undefined {
  for (const [name, state] of Object.entries(run.steps)) {
    const parsed = parseStepName(name);
    if (parsed?.phase === "upgrade" && state.phase === "Running") return { index: parsed.index, state };
  }
  return undefined;
}

/** A finally step that has started and not finished (finishing or aborting). */
export function runningFinally(run: WorkflowState): string | undefined {
  for (const [name, state] of Object.entries(run.steps)) {
    if (parseStepName(name) === undefined && !isFinished(state)) return name;
  }
  return undefined;
}

/**
 * The step a run is at, read from its state alone (used when the definition it was pinned to is no longer
 * known, e.g. after the spec changed): the first started, unfinished step; else the one after the last
 * finished step.
 */
export function stepFromState(run: WorkflowState): number {
  let lastFinished = 0;
  let firstOpen: number | undefined;
  for (const [name, state] of Object.entries(run.steps)) {
    const parsed = parseStepName(name);
    if (parsed?.phase !== "group") continue;
    if (isFinished(state)) lastFinished = Math.max(lastFinished, parsed.index);
    else firstOpen = Math.min(firstOpen ?? parsed.index, parsed.index);
  }
  return firstOpen ?? lastFinished + 1;
}

/** No finally step has started and the run is not being terminated (read from the state alone). */
export function isInMainByState(run: WorkflowState): boolean {
  if (run.phase !== "Running" && run.phase !== "Suspended") return false;
  if (run.terminate !== undefined) return false;
  return Object.keys(run.steps).every((name) => parseStepName(name) !== undefined);
}
