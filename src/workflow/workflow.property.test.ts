// Property tests: random valid workflows (lists, DAGs, groups, conditions, timeouts, retries, finally steps)
// whose steps report random outcomes, driven with a fake clock, with and without simulated crashes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createRegistry,
  failed,
  isRunFinished,
  resume,
  retryableError,
  startRun,
  succeeded,
  suspended,
  terminate,
  tick,
  wait,
} from "./index.ts";
import type {
  StepDefinition,
  StepRegistry,
  WorkflowDefinition,
  WorkflowEvent,
  WorkflowState,
} from "./index.ts";

type Move = "ok" | "fail" | "retry" | "wait" | "poll" | "suspend";
type IfKind = "none" | "true" | "false" | "depFailed" | "depSucceeded";

interface StepSpec {
  readonly deps: readonly number[];
  readonly moves: readonly Move[];
  readonly ifKind: IfKind;
  readonly retry: number;
  readonly timeout: number | null;
}
interface GroupSpec {
  /** deps, ifKind and timeout of the group itself. */
  readonly header: StepSpec;
  readonly mode: "steps" | "dag";
  readonly children: readonly StepSpec[];
}
type Entry = { readonly step: StepSpec } | { readonly group: GroupSpec };

interface Scenario {
  readonly mode: "steps" | "dag";
  readonly main: readonly Entry[];
  readonly finallyMode: "steps" | "dag";
  readonly finally: readonly (readonly ("ok" | "wait" | "poll")[])[];
  readonly terminateAt: number | null;
  readonly resumeEvery: number;
  readonly crashes: readonly number[];
}

const mode = fc.constantFrom("steps" as const, "dag" as const);
const stepSpec: fc.Arbitrary<StepSpec> = fc.record({
  deps: fc.array(fc.nat(), { maxLength: 3 }),
  moves: fc
    .tuple(
      fc.array(fc.constantFrom<Move>("retry", "wait", "poll", "suspend"), { maxLength: 3 }),
      fc.constantFrom<Move>("ok", "ok", "fail"),
    )
    .map(([before, last]) => [...before, last]),
  ifKind: fc.constantFrom<IfKind>("none", "none", "none", "true", "false", "depFailed", "depSucceeded"),
  retry: fc.integer({ min: 0, max: 2 }),
  timeout: fc.option(fc.integer({ min: 2, max: 60 })),
});
const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 4, arbitrary: stepSpec.map((step) => ({ step })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ header: stepSpec, mode, children: fc.array(stepSpec, { minLength: 1, maxLength: 3 }) })
      .map((group) => ({ group })),
  },
);
const scenario: fc.Arbitrary<Scenario> = fc.record({
  mode,
  main: fc.array(entry, { minLength: 1, maxLength: 6 }),
  finallyMode: mode,
  finally: fc.array(
    fc
      .array(fc.constantFrom("ok" as const, "wait" as const, "poll" as const), { minLength: 1, maxLength: 3 })
      .map((moves) => [...moves, "ok" as const]),
    { maxLength: 3 },
  ),
  terminateAt: fc.option(fc.nat(12)),
  resumeEvery: fc.integer({ min: 1, max: 4 }),
  crashes: fc.array(fc.nat(25), { maxLength: 5 }),
});

interface Built {
  readonly definition: WorkflowDefinition;
  readonly moves: ReadonlyMap<string, readonly Move[]>;
  /** Per step: its default-rule dependencies (dependsOn and, in steps mode, the previous step). */
  readonly deps: ReadonlyMap<string, readonly string[]>;
  readonly conditional: ReadonlySet<string>;
  readonly finallyNames: readonly string[];
}

function build(spec: Scenario): Built {
  const moves = new Map<string, readonly Move[]>();
  const deps = new Map<string, readonly string[]>();
  const conditional = new Set<string>();
  const list = (prefix: string, listMode: "steps" | "dag", specs: readonly Entry[]): StepDefinition[] =>
    specs.map((item, index) => {
      const name = `${prefix}${index}`;
      const siblings = specs.slice(0, index).map((_, earlier) => `${prefix}${earlier}`);
      const base = "step" in item ? item.step : item.group.header;
      const dependsOn = index === 0 ? [] : [...new Set(base.deps.map((dep) => siblings[dep % index] ?? ""))];
      const implicit = listMode === "steps" && index > 0 ? [siblings[index - 1] ?? ""] : [];
      deps.set(name, [...new Set([...dependsOn, ...implicit])]);
      const ref = dependsOn[0] ?? implicit[0];
      const condition = conditionFor(base.ifKind, ref);
      if (condition !== undefined) conditional.add(name);
      const common = {
        name,
        ...(dependsOn.length > 0 ? { dependsOn } : {}),
        ...(condition === undefined ? {} : { if: condition }),
        ...(base.timeout === null ? {} : { timeout: base.timeout }),
      };
      if ("group" in item) {
        const children = item.group.children.map((child) => ({ step: child }));
        return {
          ...common,
          type: "group",
          group: { mode: item.group.mode, steps: list(`${name}c`, item.group.mode, children) },
        };
      }
      moves.set(name, item.step.moves);
      return {
        ...common,
        type: "scripted",
        retry: { limit: item.step.retry, backoff: { initial: "1s", factor: 2, max: "4s" } },
      };
    });
  const main = list("s", spec.mode, spec.main);
  const finallyNames = spec.finally.map((_, index) => `f${index}`);
  spec.finally.forEach((finallyMoves, index) => moves.set(`f${index}`, finallyMoves));
  return {
    definition: {
      mode: spec.mode,
      steps: main,
      finallyMode: spec.finallyMode,
      finally: finallyNames.map((name) => ({ name, type: "scripted" })),
      pollInterval: "5s",
    },
    moves,
    deps,
    conditional,
    finallyNames,
  };
}

function conditionFor(kind: IfKind, ref: string | undefined): string | undefined {
  if (kind === "none") return undefined;
  if (kind === "true" || kind === "false" || ref === undefined) return kind === "false" ? "false" : "true";
  return `steps["${ref}"].phase == "${kind === "depFailed" ? "Failed" : "Succeeded"}"`;
}

interface Invocation {
  readonly name: string;
  readonly key: string;
}
interface Trace {
  readonly state: WorkflowState;
  readonly events: readonly WorkflowEvent[];
  /** Invocations per physical tick (including ticks whose result was lost). */
  readonly ticks: readonly { readonly invocations: readonly Invocation[]; readonly crashed: boolean }[];
  readonly violations: readonly string[];
}

function registryFor(built: Built, onInvoke: (name: string, key: string) => void): StepRegistry {
  return createRegistry({
    scripted: (ctx) => {
      onInvoke(ctx.name, ctx.idempotencyKey);
      const index = typeof ctx.memory === "number" ? ctx.memory : 0;
      const list = built.moves.get(ctx.name) ?? ["ok"];
      const move = list[Math.min(index, list.length - 1)] ?? "ok";
      const memory = index + 1;
      switch (move) {
        case "ok":
          return { ...succeeded({ by: ctx.name }), memory };
        case "fail":
          return failed(`${ctx.name} failed`);
        case "retry":
          return { ...retryableError("flaky"), memory };
        case "wait":
          return { ...wait("waiting", ctx.now + 3_000), memory };
        case "poll":
          return { ...wait("polling"), memory };
        case "suspend":
          return { ...suspended(`t-${ctx.name}`), memory };
      }
    },
  });
}

/** Drives a run to its end. With `chaos`, every state goes through JSON and some tick results are lost. */
async function drive(spec: Scenario, built: Built, chaos: boolean): Promise<Trace> {
  const violations: string[] = [];
  const ticks: { invocations: Invocation[]; crashed: boolean }[] = [];
  let input = startRun(built.definition, "run", 0);
  let current: Invocation[] = [];
  const registry = registryFor(built, (name, key) => {
    const phase = input.steps[name]?.phase;
    if (phase === "Succeeded" || phase === "Failed" || phase === "Skipped") {
      violations.push(`${name} invoked although the persisted state says ${phase}`);
    }
    current.push({ name, key });
  });
  const crashes = new Set(chaos ? spec.crashes : []);
  const events: WorkflowEvent[] = [];
  let now = 0;
  let logical = 0;
  for (let physical = 0; physical < 400; physical++) {
    current = [];
    const result = await tick(built.definition, input, now, registry);
    const crashed = crashes.delete(logical);
    ticks.push({ invocations: current, crashed });
    // A crash before the status write: the result is lost and the same tick runs again from the old state.
    if (crashed) continue;
    events.push(...result.events);
    if (isRunFinished(result.state.phase)) return { state: result.state, events, ticks, violations };
    let next = result.state;
    if (spec.terminateAt === logical) next = terminate(next, "chaos");
    if (result.nextWakeAt === undefined || logical % spec.resumeEvery === 0) {
      for (const step of Object.values(next.steps)) {
        if (step.phase === "Suspended" && step.token !== undefined) next = resume(next, step.token);
      }
    }
    input = chaos ? (JSON.parse(JSON.stringify(next)) as WorkflowState) : next;
    now = Math.max(now + 1, result.nextWakeAt ?? now + 1);
    logical++;
  }
  throw new Error("the run did not finish within 400 ticks");
}

const FINISH_EVENTS = new Set(["StepSucceeded", "StepFailed", "StepSkipped", "StepTimedOut"]);

function indexOf(events: readonly WorkflowEvent[], step: string, types: ReadonlySet<string>): number {
  return events.findIndex((event) => "step" in event && event.step === step && types.has(event.type));
}

function failedTransitively(
  built: Built,
  state: WorkflowState,
  name: string,
  seen = new Set<string>(),
): boolean {
  for (const dep of built.deps.get(name) ?? []) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    if (state.steps[dep]?.phase === "Failed" || failedTransitively(built, state, dep, seen)) return true;
  }
  return false;
}

const runs = { numRuns: 150 };

describe("workflow engine properties", () => {
  it("(a) every run finishes, and every step ends Succeeded, Failed or Skipped", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (spec) => {
        const built = build(spec);
        const { state } = await drive(spec, built, false);
        expect(["Succeeded", "Failed", "Terminated"]).toContain(state.phase);
        for (const name of [...built.deps.keys(), ...built.finallyNames]) {
          expect(["Succeeded", "Failed", "Skipped"]).toContain(state.steps[name]?.phase);
        }
      }),
      runs,
    );
  });

  it("(b) crashes and JSON round trips between ticks change nothing, and no finished step runs again", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (spec) => {
        const built = build(spec);
        const calm = await drive(spec, built, false);
        const chaotic = await drive(spec, built, true);
        expect(chaotic.state).toStrictEqual(calm.state);
        expect(chaotic.events).toStrictEqual(calm.events);
        expect(calm.violations).toEqual([]);
        expect(chaotic.violations).toEqual([]);
        // A lost tick is redone from the same state: the same steps run again with the same idempotency keys.
        chaotic.ticks.forEach((entry, index) => {
          if (entry.crashed) expect(chaotic.ticks[index + 1]?.invocations).toStrictEqual(entry.invocations);
        });
      }),
      runs,
    );
  });

  it("(c) no step starts before its dependencies finished, nor after a failed one unless its if allows it", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (spec) => {
        const built = build(spec);
        const { state, events, ticks } = await drive(spec, built, false);
        for (const [name, deps] of built.deps) {
          const started = indexOf(events, name, new Set(["StepStarted"]));
          if (started < 0) {
            expect(ticks.some((entry) => entry.invocations.some((call) => call.name === name))).toBe(false);
            continue;
          }
          for (const dep of deps) expect(indexOf(events, dep, FINISH_EVENTS)).toBeLessThan(started);
          if (!built.conditional.has(name)) expect(failedTransitively(built, state, name)).toBe(false);
        }
      }),
      runs,
    );
  });

  it("(d) finally steps run exactly once, after every main step, however the main steps ended", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (spec) => {
        const built = build(spec);
        const { state, events } = await drive(spec, built, true);
        const lastMain = Math.max(
          ...[...built.deps.keys()].map((name) => indexOf(events, name, FINISH_EVENTS)),
        );
        for (const name of built.finallyNames) {
          expect(state.steps[name]?.phase).toBe("Succeeded");
          const starts = events.filter((event) => event.type === "StepStarted" && event.step === name);
          expect(starts).toHaveLength(1);
          expect(indexOf(events, name, new Set(["StepStarted"]))).toBeGreaterThan(lastMain);
        }
      }),
      runs,
    );
  });
});
