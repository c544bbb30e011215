// Operations on a run's state. They read no clock and call no step: each records an intent that the next
// tick carries out (and reports as events), so an operation applied twice is harmless.
import { stepState } from "./apply-outcome.ts";
import { compileStructure, WorkflowDefinitionError } from "./compile.ts";
import type { CompiledStep, CompiledWorkflow } from "./compile.ts";
import { WorkflowStateError } from "./errors.ts";
import { isRunFinished } from "./tick.ts";
import { STATE_VERSION } from "./types.ts";
import type { JsonValue, StepState, WorkflowDefinition, WorkflowState } from "./types.ts";

function structureOf(definition: WorkflowDefinition): CompiledWorkflow {
  const structure = compileStructure(definition);
  if (structure.compiled === undefined) throw new WorkflowDefinitionError(structure.problems);
  return structure.compiled;
}

/**
 * The state of a new run, pinned to the definition's hash. Graph errors throw here; step types are
 * checked by the first tick (which has the registry), or earlier with validateDefinition().
 */
export function startRun(definition: WorkflowDefinition, runId: string, now: number): WorkflowState {
  if (runId.length === 0) throw new WorkflowStateError("startRun: runId must not be empty");
  const plan = structureOf(definition);
  return {
    version: STATE_VERSION,
    runId,
    definitionHash: plan.hash,
    generation: 0,
    phase: "Running",
    startedAt: now,
    steps: {},
  };
}

/**
 * Hands `payload` to every step suspended with `token`; the next tick invokes them with `ctx.resume`
 * (the built-in `suspend` then succeeds). Throws when no step waits for the token.
 */
export function resume(state: WorkflowState, token: string, payload?: JsonValue): WorkflowState {
  const waiting = Object.entries(state.steps).filter(([, step]) => step.phase === "Suspended");
  const matching = waiting.filter(([, step]) => step.token === token);
  if (matching.length === 0) {
    const tokens = waiting.map(([name, step]) => `"${step.token ?? ""}" (step "${name}")`);
    throw new WorkflowStateError(
      `cannot resume run "${state.runId}" (${state.phase}) with token "${token}": no step is suspended with it; ` +
        (tokens.length > 0 ? `suspended now: ${tokens.join(", ")}` : "no step is suspended"),
    );
  }
  const steps = { ...state.steps };
  for (const [name, step] of matching) {
    steps[name] = stepState({ ...step, resume: payload === undefined ? { token } : { token, payload } });
  }
  return { ...state, steps };
}

/**
 * Ends the run: the next tick fails its running main steps and skips the pending ones (reason Terminated),
 * then runs the finally steps (with `force`, those are stopped too). A finished run is returned unchanged.
 */
export function terminate(
  state: WorkflowState,
  reason: string,
  options: { force?: boolean } = {},
): WorkflowState {
  if (isRunFinished(state.phase)) return state;
  if (state.terminate !== undefined && (state.terminate.force === true || options.force !== true))
    return state;
  return { ...state, terminate: options.force === true ? { reason, force: true } : { reason } };
}

/**
 * Runs the workflow again with `definition` (the way to adopt a changed definition). Without `fromStep`,
 * from the beginning. With it, only that step, the steps ordered after it (in its list, and of each
 * enclosing group) and every finally step run again; the others keep their results. Every re-run step
 * gets new idempotency keys.
 */
export function restart(
  state: WorkflowState,
  definition: WorkflowDefinition,
  options: { fromStep?: string } = {},
): WorkflowState {
  const plan = structureOf(definition);
  const base = {
    version: STATE_VERSION,
    runId: state.runId,
    definitionHash: plan.hash,
    generation: state.generation + 1,
    phase: "Running",
    startedAt: state.startedAt,
  } as const;
  if (options.fromStep === undefined) return { ...base, steps: {} };
  const from = plan.byName.get(options.fromStep);
  if (from === undefined) {
    throw new WorkflowStateError(
      `cannot restart run "${state.runId}" from step "${options.fromStep}": the definition has no such step`,
    );
  }
  const again = stepsToRunAgain(plan, from);
  const steps: Record<string, StepState> = {};
  for (const [name, step] of Object.entries(state.steps)) {
    if (plan.byName.has(name) && !again.has(name)) steps[name] = step;
  }
  return { ...base, steps };
}

function stepsToRunAgain(plan: CompiledWorkflow, from: CompiledStep): Set<string> {
  const again = new Set<string>();
  const withSubSteps = (step: CompiledStep): void => {
    again.add(step.name);
    for (const child of step.children?.steps ?? []) withSubSteps(child);
  };
  const withDependents = (step: CompiledStep): void => {
    const { steps } = step.container;
    const queue = [step.index];
    for (let index = queue.pop(); index !== undefined; index = queue.pop()) {
      for (const other of steps) {
        if (other.after.includes(index) && !again.has(other.name)) {
          withSubSteps(other);
          queue.push(other.index);
        }
      }
    }
  };
  withSubSteps(from);
  withDependents(from);
  // An enclosing group runs again (its other sub-steps keep their results), and so do the steps after it.
  let root = from;
  for (let group = from.container.parent; group !== undefined; group = group.container.parent) {
    again.add(group.name);
    withDependents(group);
    root = group;
  }
  if (root.container.kind === "main") for (const step of plan.finally.steps) withSubSteps(step);
  return again;
}
