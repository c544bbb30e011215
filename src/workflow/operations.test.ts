import { describe, expect, it } from "vitest";
import {
  failed,
  parseWorkflowState,
  restart,
  startRun,
  terminate,
  tick,
  wait,
  WorkflowStateError,
} from "./index.ts";
import type { WorkflowDefinition } from "./index.ts";
import { simulate } from "./simulate.ts";
import { phases, recorder, step } from "./test-support.ts";

describe("terminate", () => {
  const definition: WorkflowDefinition = {
    mode: "dag",
    steps: [step("busy"), step("later", { dependsOn: ["busy"] })],
    finally: [step("rollback", { if: 'workflow.phase == "Terminated"' }), step("notify")],
  };

  it("fails running steps, skips pending ones, runs the finally steps and ends Terminated", async () => {
    const rec = recorder({ busy: () => wait("scaling") });
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    const requested = terminate(first.state, "aborted by alice");
    expect(requested.steps).toBe(first.state.steps);
    const { state, events } = await tick(definition, requested, 10, rec.registry);
    expect(phases(state)).toEqual({
      busy: "Failed",
      later: "Skipped",
      rollback: "Succeeded",
      notify: "Succeeded",
    });
    expect(state.steps["busy"]).toMatchObject({
      reason: "Terminated",
      message: "terminated: aborted by alice",
    });
    expect(state.steps["later"]?.reason).toBe("Terminated");
    expect(state).toMatchObject({
      phase: "Terminated",
      message: "terminated: aborted by alice",
      finishedAt: 10,
    });
    expect(events.map((event) => event.type)).toEqual([
      "StepFailed",
      "StepSkipped",
      "StepStarted",
      "StepSucceeded",
      "StepStarted",
      "StepSucceeded",
      "RunFinished",
    ]);
    expect(rec.callsOf("busy")).toHaveLength(1);
  });

  it("with force also stops the finally steps; on a finished run it changes nothing", async () => {
    const rec = recorder({ busy: () => wait("scaling") });
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    const { state } = await tick(
      definition,
      terminate(first.state, "stop", { force: true }),
      1,
      rec.registry,
    );
    expect(phases(state)).toEqual({
      busy: "Failed",
      later: "Skipped",
      rollback: "Skipped",
      notify: "Skipped",
    });
    expect(terminate(state, "again")).toBe(state);
  });
});

describe("restart", () => {
  it("from the beginning re-runs everything with new idempotency keys", async () => {
    const rec = recorder({ b: () => failed("bug") });
    const definition: WorkflowDefinition = { steps: [step("a"), step("b")] };
    const { state } = await simulate(definition, rec.registry, { runId: "r" });
    const again = restart(state, definition);
    expect(again).toMatchObject({ phase: "Running", generation: 1, steps: {} });
    expect(again.finishedAt).toBeUndefined();
    await simulate(definition, rec.registry, { runId: "r", initialState: again });
    expect(rec.calls.map((call) => call.idempotencyKey)).toEqual([
      "r:g0:a:a1",
      "r:g0:b:a1",
      "r:g1:a:a1",
      "r:g1:b:a1",
    ]);
  });

  it("from a step re-runs it, the steps after it and the finally steps, keeping earlier results", async () => {
    let broken = true;
    const rec = recorder({ b: () => (broken ? failed("bug") : { kind: "succeeded" }) });
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [step("a"), step("b", { dependsOn: ["a"] }), step("c", { dependsOn: ["b"] }), step("side")],
      finally: [step("cleanup")],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(state.phase).toBe("Failed");
    broken = false;
    const again = restart(state, definition, { fromStep: "b" });
    expect(Object.keys(again.steps).sort()).toEqual(["a", "side"]);
    rec.calls.length = 0;
    const result = await simulate(definition, rec.registry, { initialState: again });
    expect(rec.names()).toEqual(["b", "c", "cleanup"]);
    expect(result.state.phase).toBe("Succeeded");
  });

  it("from a sub-step re-runs its group and what follows the group, not the group's other sub-steps", async () => {
    let flaky = true;
    const rec = recorder({ y: () => (flaky ? failed("flake") : { kind: "succeeded" }) });
    const definition: WorkflowDefinition = {
      steps: [
        step("a"),
        { name: "g", type: "group", group: { mode: "dag", steps: [step("x"), step("y")] } },
        step("z"),
      ],
    };
    const { state } = await simulate(definition, rec.registry);
    flaky = false;
    const again = restart(state, definition, { fromStep: "y" });
    expect(Object.keys(again.steps).sort()).toEqual(["a", "x"]);
    rec.calls.length = 0;
    const result = await simulate(definition, rec.registry, { initialState: again });
    expect(rec.names()).toEqual(["y", "z"]);
    expect(phases(result.state)).toEqual({
      a: "Succeeded",
      x: "Succeeded",
      g: "Succeeded",
      y: "Succeeded",
      z: "Succeeded",
    });
  });

  it("rejects a step the definition does not have", () => {
    const definition: WorkflowDefinition = { steps: [step("a")] };
    expect(() => restart(startRun(definition, "r", 0), definition, { fromStep: "nope" })).toThrow(
      'cannot restart run "r" from step "nope": the definition has no such step',
    );
  });
});

describe("definition pinning and state versions", () => {
  const definition: WorkflowDefinition = { steps: [step("a", { properties: { replicas: 1, image: "v1" } })] };

  it("refuses to continue a run with a changed definition until it is restarted with it", async () => {
    const rec = recorder({ a: () => wait("working") });
    const { state } = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    const changed: WorkflowDefinition = { steps: [step("a", { properties: { replicas: 2, image: "v1" } })] };
    const attempt = tick(changed, state, 1, rec.registry);
    await expect(attempt).rejects.toThrow(WorkflowStateError);
    await expect(tick(changed, state, 1, rec.registry)).rejects.toThrow(
      /was started with definition sha256:[0-9a-f]{32}, but tick\(\) got sha256:[0-9a-f]{32}; a changed definition cannot continue an old run: call restart\(state, definition\)/,
    );
    const adopted = restart(state, changed);
    await expect(tick(changed, adopted, 2, rec.registry)).resolves.toMatchObject({
      state: { phase: "Running" },
    });
  });

  it("hashes by content, not by key order", async () => {
    const rec = recorder({ a: () => wait("working") });
    const reordered: WorkflowDefinition = {
      steps: [{ type: "scripted", properties: { image: "v1", replicas: 1 }, name: "a" }],
    };
    const state = startRun(definition, "r", 0);
    await expect(tick(reordered, state, 0, rec.registry)).resolves.toMatchObject({
      state: { phase: "Running" },
    });
  });

  it("reads a persisted state back, and rejects another version or a malformed one with a clear error", () => {
    const state = startRun(definition, "r", 0);
    expect(parseWorkflowState(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(() => parseWorkflowState({ ...state, version: 2 })).toThrow(
      "workflow state has version 2, but this engine reads version 1; restart the run (startRun) to continue with this engine",
    );
    expect(() => parseWorkflowState({ ...state, steps: { a: { phase: "Sleeping" } } })).toThrow(
      /workflow state is malformed:[\s\S]*steps\.a\.phase/,
    );
  });
});
