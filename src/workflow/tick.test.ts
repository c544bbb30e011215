import { describe, expect, it } from "vitest";
import { failed, startRun, succeeded, tick, wait } from "./index.ts";
import type { WorkflowDefinition } from "./index.ts";
import { simulate } from "./simulate.ts";
import { phases, recorder, step } from "./test-support.ts";

describe("steps mode", () => {
  it("stops at the first unfinished step and continues on a later tick", async () => {
    const rec = recorder({ b: (ctx) => (ctx.now >= 5_000 ? succeeded() : wait("not ready", 5_000)) });
    const definition: WorkflowDefinition = { steps: [step("a"), step("b"), step("c")] };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(phases(first.state)).toEqual({ a: "Succeeded", b: "Running" });
    expect(first.nextWakeAt).toBe(5_000);
    expect(first.state.message).toBe('step "b": not ready');
    const second = await tick(definition, first.state, 5_000, rec.registry);
    expect(phases(second.state)).toEqual({ a: "Succeeded", b: "Succeeded", c: "Succeeded" });
    expect(second.state.phase).toBe("Succeeded");
    expect(rec.names()).toEqual(["a", "b", "b", "c"]);
  });

  it("advances through every step that finishes at once in a single tick", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = { steps: ["a", "b", "c", "d", "e"].map((name) => step(name)) };
    const result = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(result.state.phase).toBe("Succeeded");
    expect(result.nextWakeAt).toBeUndefined();
    expect(result.events.map((event) => event.type)).toEqual([
      ...["a", "b", "c", "d", "e"].flatMap(() => ["StepStarted", "StepSucceeded"]),
      "RunFinished",
    ]);
  });

  it("skips the rest after a failure, but a step whose if allows it runs, and then the run fails", async () => {
    const rec = recorder({ b: () => failed("broken") });
    const definition: WorkflowDefinition = {
      steps: [
        step("a"),
        step("b"),
        step("c"),
        step("compensate", { if: 'steps.b.phase == "Failed"' }),
        step("d"),
      ],
    };
    const { state, events } = await simulate(definition, rec.registry);
    expect(phases(state)).toEqual({
      a: "Succeeded",
      b: "Failed",
      c: "Skipped",
      compensate: "Succeeded",
      d: "Skipped",
    });
    expect(state.steps["c"]?.message).toBe('skipped because step "b" failed');
    expect(state.steps["d"]?.reason).toBe("UpstreamFailed");
    expect(state.phase).toBe("Failed");
    expect(state.message).toBe('step "b" failed: broken');
    expect(events.at(-1)).toEqual({
      type: "RunFinished",
      phase: "Failed",
      at: 0,
      message: 'step "b" failed: broken',
    });
  });

  it("does not stop at a step skipped by its own if", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [step("a"), step("optional", { if: "false" }), step("b")],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(phases(state)).toEqual({ a: "Succeeded", optional: "Skipped", b: "Succeeded" });
    expect(state.steps["optional"]?.reason).toBe("ConditionFalse");
    expect(state.phase).toBe("Succeeded");
  });
});

describe("dag mode", () => {
  it("starts every step whose dependencies are done, in one tick", async () => {
    const rec = recorder({ slow: () => wait("polling") });
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [
        step("a"),
        step("slow"),
        step("b", { dependsOn: ["a"] }),
        step("after-slow", { dependsOn: ["slow"] }),
      ],
      pollInterval: "30s",
    };
    const result = await tick(definition, startRun(definition, "r", 0), 1_000, rec.registry);
    expect(phases(result.state)).toEqual({ a: "Succeeded", slow: "Running", b: "Succeeded" });
    expect(result.nextWakeAt).toBe(31_000);
  });

  it("skips the transitive dependents of a failure and lets independent branches finish", async () => {
    const rec = recorder({ a: () => failed("no") });
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [
        step("a"),
        step("b", { dependsOn: ["a"] }),
        step("c", { dependsOn: ["b"] }),
        step("independent"),
        step("rescue", { dependsOn: ["a"], if: 'steps.a.phase == "Failed"' }),
        step("after-rescue", { dependsOn: ["rescue"] }),
      ],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(phases(state)).toEqual({
      a: "Failed",
      b: "Skipped",
      c: "Skipped",
      independent: "Succeeded",
      rescue: "Succeeded",
      // The default rule looks at every dependency transitively: a failed upstream, so this is skipped.
      "after-rescue": "Skipped",
    });
    expect(state.steps["c"]?.message).toBe('skipped because step "a" failed');
  });

  it("makes an if wait for every step it reads, even without dependsOn", async () => {
    const rec = recorder({
      gate: (ctx) => (ctx.now >= 10 ? succeeded({ score: 7 }) : wait("measuring", 10)),
    });
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [step("gate"), step("promote", { if: "steps.gate.outputs.score > 5" })],
    };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(phases(first.state)).toEqual({ gate: "Running" });
    const second = await tick(definition, first.state, 10, rec.registry);
    expect(phases(second.state)).toEqual({ gate: "Succeeded", promote: "Succeeded" });
  });
});

describe("if conditions", () => {
  it("see steps, inputs, context and the workflow's phase", async () => {
    const rec = recorder({ source: () => succeeded({ version: "v2" }) });
    const definition: WorkflowDefinition = {
      steps: [
        step("source"),
        step("by-input", { if: 'inputs.source.version == "v2"' }),
        step("by-context", { if: 'context.env == "prod"' }),
        step("by-workflow", { if: 'workflow.phase == "Running" && workflow.runId == "r"' }),
        step("not-this", { if: 'steps["source"].outputs.version == "v1"' }),
      ],
      finally: [step("notify", { if: 'workflow.phase == "Succeeded"' })],
      context: { env: "prod" },
    };
    const { state } = await simulate(definition, rec.registry, { runId: "r" });
    expect(phases(state)).toEqual({
      source: "Succeeded",
      "by-input": "Succeeded",
      "by-context": "Succeeded",
      "by-workflow": "Succeeded",
      "not-this": "Skipped",
      notify: "Succeeded",
    });
  });

  it("fail the step with reason ConditionError when they cannot be evaluated", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [step("a"), step("b", { if: "steps.a.outputs.missing == 1" })],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["b"]).toMatchObject({ phase: "Failed", reason: "ConditionError" });
    expect(state.steps["b"]?.message).toMatch(/^if "steps.a.outputs.missing == 1": .*missing/);
    expect(rec.names()).toEqual(["a"]);
  });
});

describe("step context", () => {
  it("hands each step its properties, the outputs of the steps before it, and a deterministic key", async () => {
    const rec = recorder({ a: () => succeeded({ n: 1 }), b: () => succeeded({ n: 2 }) });
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [step("a"), step("b"), step("c", { dependsOn: ["b"], properties: { replicas: 3 } })],
      context: { team: "shop" },
    };
    await simulate(definition, rec.registry, { runId: "release-7", startAt: 500 });
    const [call] = rec.callsOf("c");
    expect(call?.ctx.properties).toEqual({ replicas: 3 });
    expect(call?.ctx.inputs).toEqual({ b: { n: 2 } });
    expect(call?.ctx.context).toEqual({ team: "shop" });
    expect(call?.idempotencyKey).toBe("release-7:g0:c:a1");
    expect(call?.ctx).toMatchObject({ now: 500, attempt: 1, firstStartedAt: 500, deadline: undefined });
  });
});

describe("tick", () => {
  it("never changes the state it is given, and gives the same result for the same input", async () => {
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [step("a"), step("b", { dependsOn: ["a"] }), step("w")],
    };
    const scripts = { w: () => wait("later", 100), a: () => succeeded({ x: 1 }) };
    const state = startRun(definition, "r", 0);
    const frozen = JSON.stringify(state);
    const one = await tick(definition, state, 0, recorder(scripts).registry);
    const two = await tick(definition, state, 0, recorder(scripts).registry);
    expect(JSON.stringify(state)).toBe(frozen);
    expect(JSON.stringify(one)).toBe(JSON.stringify(two));
  });

  it("does nothing on a finished run", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = { steps: [step("a")] };
    const { state } = await simulate(definition, rec.registry);
    const again = await tick(definition, state, 99, rec.registry);
    expect(again).toEqual({ state, nextWakeAt: undefined, events: [] });
    expect(rec.calls).toHaveLength(1);
  });

  it("invokes independent due steps together and applies their outcomes in definition order", async () => {
    const started: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const rec = recorder({
      slow: async (ctx) => {
        started.push(ctx.name);
        await gate;
        return succeeded();
      },
      fast: (ctx) => {
        started.push(ctx.name);
        release();
        return succeeded();
      },
    });
    const definition: WorkflowDefinition = { mode: "dag", steps: [step("slow"), step("fast")] };
    const result = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(started).toEqual(["slow", "fast"]);
    expect(
      result.events.filter((event) => event.type === "StepSucceeded").map((event) => event.step),
    ).toEqual(["slow", "fast"]);
  });
});
