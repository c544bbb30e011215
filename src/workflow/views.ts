// What an `if` and a step type see of the run: `steps.<name>` (phase, reason, message, attempt, outputs),
// `inputs` (outputs of the steps ordered before this one), `context` and `workflow`.
import type { CompiledCondition } from "./cel.ts";
import type { CompiledContainer, CompiledStep, CompiledWorkflow } from "./compile.ts";
import type { JsonObject, StepState, WorkflowState } from "./types.ts";

export interface RunView {
  readonly plan: CompiledWorkflow;
  readonly run: WorkflowState;
  readonly steps: { readonly [name: string]: StepState };
  listFinished(container: CompiledContainer): boolean;
}

export interface StepView {
  readonly phase: string;
  readonly reason: string;
  readonly message: string;
  readonly attempt: number;
  readonly outputs: JsonObject;
}

/** Every field is always present, so `steps.x.outputs` of a step that has not run is `{}`, not an error. */
export function stepView(state: StepState | undefined): StepView {
  return {
    phase: state?.phase ?? "Pending",
    reason: state?.reason ?? "",
    message: state?.message ?? "",
    attempt: state?.attempt ?? 0,
    outputs: state?.outputs ?? {},
  };
}

/** How the main steps ended: Terminated, Failed (a top-level step failed) or Succeeded. */
export function mainOutcome(view: RunView): "Succeeded" | "Failed" | "Terminated" {
  if (view.run.terminate !== undefined) return "Terminated";
  return view.plan.main.steps.some((step) => view.steps[step.name]?.phase === "Failed")
    ? "Failed"
    : "Succeeded";
}

export function conditionVariables(
  view: RunView,
  step: CompiledStep,
  condition: CompiledCondition,
): Readonly<Record<string, unknown>> {
  const steps: Record<string, StepView> = {};
  const names = condition.stepRefs === "all" ? view.plan.byName.keys() : condition.stepRefs;
  for (const name of names) steps[name] = stepView(view.steps[name]);
  return {
    steps,
    inputs: condition.readsInputs ? inputsOf(view, step) : {},
    context: view.plan.context,
    workflow: {
      runId: view.run.runId,
      generation: view.run.generation,
      // Finally steps read how the main steps ended; main steps see Running.
      phase: view.listFinished(view.plan.main) ? mainOutcome(view) : "Running",
      terminating: view.run.terminate !== undefined,
    },
  };
}

/**
 * Outputs of every step this one is ordered after, keyed by step name: its siblings before it (transitively),
 * the sub-steps of those that are groups, what its enclosing group sees, and for finally steps all main steps.
 */
export function inputsOf(view: RunView, step: CompiledStep): { readonly [step: string]: JsonObject } {
  const inputs: Record<string, JsonObject> = {};
  const add = (source: CompiledStep): void => {
    const outputs = view.steps[source.name]?.outputs;
    if (outputs !== undefined) inputs[source.name] = outputs;
    for (const child of source.children?.steps ?? []) add(child);
  };
  const { container } = step;
  if (container.kind === "finally") for (const main of view.plan.main.steps) add(main);
  if (container.parent !== undefined) Object.assign(inputs, inputsOf(view, container.parent));
  const seen = new Set<number>();
  const pending = [...step.after];
  for (let index = pending.pop(); index !== undefined; index = pending.pop()) {
    const sibling = container.steps[index];
    if (seen.has(index) || sibling === undefined) continue;
    seen.add(index);
    add(sibling);
    pending.push(...sibling.after);
  }
  return inputs;
}
