// tick(): advance a run as far as it can go now, then say when it wants to be ticked again.
import { compileDefinition } from "./compile.ts";
import type { CompiledWorkflow } from "./compile.ts";
import { WorkflowStateError } from "./errors.ts";
import type { StepRegistry } from "./registry.ts";
import { isFinishedPhase, RunCursor } from "./run.ts";
import { STATE_VERSION } from "./types.ts";
import type { RunPhase, TickResult, WorkflowDefinition, WorkflowState } from "./types.ts";

export function isRunFinished(phase: RunPhase): boolean {
  return phase === "Succeeded" || phase === "Failed" || phase === "Terminated";
}

/**
 * Advances the run: starts, skips, invokes and finishes steps until nothing more can happen at `now`.
 * Never sleeps and never reads a clock. Throws WorkflowDefinitionError for an invalid definition and
 * WorkflowStateError when the state belongs to another engine version or another definition.
 */
export async function tick(
  definition: WorkflowDefinition,
  state: WorkflowState,
  now: number,
  registry: StepRegistry,
): Promise<TickResult> {
  if (!Number.isFinite(now)) throw new TypeError(`tick: now must be epoch milliseconds, not ${now}`);
  const plan = compileDefinition(definition, registry);
  assertSameRun(plan, state);
  if (isRunFinished(state.phase)) return { state, nextWakeAt: undefined, events: [] };
  const cursor = new RunCursor(plan, state, now, registry);
  await cursor.advance();
  return conclude(cursor);
}

function assertSameRun(plan: CompiledWorkflow, state: WorkflowState): void {
  if (state.version !== STATE_VERSION) {
    throw new WorkflowStateError(
      `workflow run "${state.runId}" has state version ${String(state.version)}, but this engine reads version ` +
        `${STATE_VERSION}; start a new run`,
    );
  }
  if (state.definitionHash !== plan.hash) {
    throw new WorkflowStateError(
      `workflow run "${state.runId}" was started with definition ${state.definitionHash}, but tick() got ` +
        `${plan.hash}; a changed definition cannot continue an old run: call restart(state, definition) to ` +
        `re-run it with the new definition, or startRun() for a new run`,
    );
  }
}

function conclude(cursor: RunCursor): TickResult {
  const { plan, run, now, steps, events } = cursor;
  if (cursor.listFinished(plan.main) && cursor.listFinished(plan.finally)) {
    const top = [...plan.main.steps, ...plan.finally.steps];
    const failed = top.find((step) => steps[step.name]?.phase === "Failed");
    const phase: RunPhase =
      run.terminate !== undefined ? "Terminated" : failed !== undefined ? "Failed" : "Succeeded";
    const message =
      run.terminate !== undefined
        ? `terminated: ${run.terminate.reason}`
        : failed !== undefined
          ? `step "${failed.name}" failed: ${steps[failed.name]?.message ?? ""}`
          : summary(cursor);
    events.push({ type: "RunFinished", phase, at: now, message });
    const { message: _message, ...rest } = run;
    return { state: { ...rest, steps, phase, finishedAt: now, message }, nextWakeAt: undefined, events };
  }

  let wake: number | undefined;
  const earliest = (at: number): void => {
    wake = wake === undefined ? at : Math.min(wake, at);
  };
  let waiting: string | undefined;
  let suspended: string | undefined;
  for (const step of plan.byName.values()) {
    const state = steps[step.name];
    if (state === undefined || isFinishedPhase(state.phase)) continue;
    if (step.timeoutMs !== undefined && state.firstStartedAt !== undefined)
      earliest(state.firstStartedAt + step.timeoutMs);
    if (step.children !== undefined) continue;
    if (state.phase === "Running") {
      earliest(state.nextRunAt ?? now + plan.pollIntervalMs);
      waiting ??= `step "${step.name}": ${state.message ?? "running"}`;
    } else {
      if (state.nextRunAt !== undefined) earliest(state.nextRunAt);
      suspended ??= `step "${step.name}" is suspended: ${state.message ?? ""}`;
    }
  }
  const phase: RunPhase = waiting === undefined && suspended !== undefined ? "Suspended" : "Running";
  const message = waiting ?? suspended;
  const { message: _message, ...rest } = run;
  const next: WorkflowState =
    message === undefined ? { ...rest, steps, phase } : { ...rest, steps, phase, message };
  return { state: next, nextWakeAt: wake === undefined ? undefined : Math.max(wake, now), events };
}

function summary(cursor: RunCursor): string {
  const counts = { Succeeded: 0, Skipped: 0 };
  for (const state of Object.values(cursor.steps)) {
    if (state.phase === "Succeeded" || state.phase === "Skipped") counts[state.phase]++;
  }
  return `finished: ${counts.Succeeded} steps succeeded, ${counts.Skipped} skipped`;
}
