// Runs a workflow to its end against an injected clock: each tick happens at the previous tick's
// nextWakeAt. For tests, the benchmark and dry runs; a controller ticks from its own work queue instead.
import { startRun } from "./operations.ts";
import type { StepRegistry } from "./registry.ts";
import { isRunFinished, tick } from "./tick.ts";
import type { TickResult, WorkflowDefinition, WorkflowEvent, WorkflowState } from "./types.ts";

export interface SimulationOptions {
  readonly runId?: string;
  readonly startAt?: number;
  readonly maxTicks?: number;
  /** The state the next tick starts from (e.g. after a JSON round trip, a resume or a terminate). */
  readonly between?: (result: TickResult, tickNumber: number, now: number) => WorkflowState;
  /** Start from this state instead of a new run. */
  readonly initialState?: WorkflowState;
}

export interface Simulation {
  readonly state: WorkflowState;
  readonly ticks: readonly { readonly now: number; readonly events: readonly WorkflowEvent[] }[];
  readonly events: readonly WorkflowEvent[];
}

export async function simulate(
  definition: WorkflowDefinition,
  registry: StepRegistry,
  options: SimulationOptions = {},
): Promise<Simulation> {
  const { runId = "run", startAt = 0, maxTicks = 1_000 } = options;
  let now = startAt;
  let state = options.initialState ?? startRun(definition, runId, now);
  const ticks: { now: number; events: readonly WorkflowEvent[] }[] = [];
  for (let tickNumber = 0; tickNumber < maxTicks; tickNumber++) {
    const result = await tick(definition, state, now, registry);
    ticks.push({ now, events: result.events });
    if (isRunFinished(result.state.phase)) {
      return { state: result.state, ticks, events: ticks.flatMap((entry) => entry.events) };
    }
    state = options.between?.(result, tickNumber, now) ?? result.state;
    if (result.nextWakeAt !== undefined) {
      now = Math.max(now + 1, result.nextWakeAt);
    } else if (state !== result.state) {
      now += 1;
    } else {
      throw new Error(
        `simulation of run "${runId}" is stuck at ${now}: ${result.state.message ?? "no message"}`,
      );
    }
  }
  throw new Error(`simulation of run "${runId}" did not finish within ${maxTicks} ticks`);
}
