// Step types for tests: each records its invocations, and its outcomes come from a script keyed by step name,
// so a test states exactly what every step will report.
import { createRegistry } from "./registry.ts";
import type { StepRegistry } from "./registry.ts";
import type { StepContext, StepDefinition, StepOutcome, StepType, WorkflowState } from "./types.ts";

export interface Call {
  readonly name: string;
  readonly now: number;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly ctx: StepContext;
}

export type Script = (ctx: StepContext, callNumber: number) => StepOutcome | Promise<StepOutcome>;

export interface Recorder {
  readonly registry: StepRegistry;
  readonly calls: Call[];
  /** Names in call order. */
  names(): string[];
  callsOf(name: string): Call[];
}

/** A registry with type "scripted": step `name` runs `scripts[name]` (default: succeed with no outputs). */
export function recorder(
  scripts: Readonly<Record<string, Script>> = {},
  extra: Record<string, StepType> = {},
): Recorder {
  const calls: Call[] = [];
  const scripted: StepType = {
    run: (ctx) => {
      const callNumber = calls.filter((call) => call.name === ctx.name).length;
      calls.push({
        name: ctx.name,
        now: ctx.now,
        attempt: ctx.attempt,
        idempotencyKey: ctx.idempotencyKey,
        ctx,
      });
      const script = scripts[ctx.name];
      return script === undefined ? { kind: "succeeded" } : script(ctx, callNumber);
    },
  };
  return {
    registry: createRegistry({ scripted, ...extra }),
    calls,
    names: () => calls.map((call) => call.name),
    callsOf: (name) => calls.filter((call) => call.name === name),
  };
}

/** A step of type "scripted" (see recorder). */
export function step(name: string, extra: Partial<StepDefinition> = {}): StepDefinition {
  return { name, type: "scripted", ...extra };
}

/** Step name → phase, for compact assertions. */
export function phases(state: WorkflowState): Record<string, string> {
  return Object.fromEntries(Object.entries(state.steps).map(([name, entry]) => [name, entry.phase]));
}
