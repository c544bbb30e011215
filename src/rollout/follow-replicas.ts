// SPEC §5.2 "N read at each reconcile, so HPA changes are followed": once a step's upgrade is done, the batch
// is not invoked again while the step waits (traffic, analysis, pause), so a change of the workload's
// spec.replicas would go unnoticed until the next step. This finds the step whose pods must keep following N;
// the pods are moved by the batch's own planning (steps/batch.ts `followBatch`). Decision record:
// docs/decisions/scale-during-release.md.
import type { JsonValue, WorkflowDefinition, WorkflowState } from "../workflow/index.ts";
import { stepGroupName, stepPhaseName } from "./compile.ts";
import { currentStepIndex, isInMain } from "./run-view.ts";

export interface WaitingBatch {
  /** 1-based step index. */
  readonly index: number;
  /** The step's `replicas` as compiled (int or "p%"). */
  readonly replicas: number | string;
}

/**
 * The step that waits after its upgrade succeeded, with the replicas its upgrade was compiled with; undefined
 * while a batch runs (it re-plans itself), between steps, or once the run is finishing or aborting.
 */
export function waitingBatch(
  run: WorkflowState,
  definition: WorkflowDefinition | undefined,
): WaitingBatch | undefined {
  if (!isInMain(run, definition)) return undefined;
  const index = currentStepIndex(run, definition);
  const group = run.steps[stepGroupName(index)];
  if (group === undefined || group.phase === "Succeeded") return undefined;
  const upgradeName = stepPhaseName(index, "upgrade");
  if (run.steps[upgradeName]?.phase !== "Succeeded") return undefined;
  const upgrade = definition?.steps
    .find((s) => s.name === stepGroupName(index))
    ?.group?.steps.find((s) => s.name === upgradeName);
  const replicas: JsonValue | undefined = upgrade?.properties?.["replicas"];
  return typeof replicas === "number" || typeof replicas === "string" ? { index, replicas } : undefined;
}
