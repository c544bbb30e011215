import { describe, expect, it } from "vitest";
import { resume, startRun, succeeded, suspended, tick, WorkflowStateError } from "./index.ts";
import type { WorkflowDefinition } from "./index.ts";
import { simulate } from "./simulate.ts";
import { phases, recorder, step } from "./test-support.ts";

describe("built-in suspend", () => {
  it("waits for resume with its token, then succeeds with the payload", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [{ name: "approve", type: "suspend", properties: { token: "step-2@abc" } }, step("after")],
    };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(first.state.phase).toBe("Suspended");
    expect(first.nextWakeAt).toBeUndefined();
    expect(first.state.message).toBe(
      'step "approve" is suspended: waiting for resume with token "step-2@abc"',
    );
    expect(first.events.at(-1)).toEqual({
      type: "StepSuspended",
      step: "approve",
      path: "approve",
      at: 0,
      token: "step-2@abc",
      message: 'waiting for resume with token "step-2@abc"',
    });
    const idle = await tick(definition, first.state, 60_000, rec.registry);
    expect(idle.events).toEqual([]);
    const resumed = resume(idle.state, "step-2@abc", { by: "alice" });
    expect(resume(resumed, "step-2@abc", { by: "alice" })).toEqual(resumed);
    const done = await tick(definition, resumed, 61_000, rec.registry);
    expect(done.events.map((event) => event.type).slice(0, 2)).toEqual(["StepResumed", "StepSucceeded"]);
    expect(done.state.steps["approve"]).toMatchObject({
      phase: "Succeeded",
      outputs: { resumed: "manual", payload: { by: "alice" } },
    });
    expect(done.state.phase).toBe("Succeeded");
  });

  it("refuses a token no step waits for, naming the tokens that are waiting", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = { steps: [{ name: "gate", type: "suspend" }] };
    const { state } = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(() => resume(state, "other")).toThrow(WorkflowStateError);
    expect(() => resume(state, "other")).toThrow(
      'cannot resume run "r" (Suspended) with token "other": no step is suspended with it; suspended now: "gate" (step "gate")',
    );
  });

  it("with a duration ends by itself that long after its first start, or earlier on resume", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [{ name: "pause", type: "suspend", properties: { duration: "10m" } }],
    };
    const first = await tick(definition, startRun(definition, "r", 1_000), 1_000, rec.registry);
    expect(first.nextWakeAt).toBe(601_000);
    expect(first.state.steps["pause"]).toMatchObject({ phase: "Suspended", nextRunAt: 601_000 });
    const timed = await tick(definition, first.state, 601_000, rec.registry);
    expect(timed.state.steps["pause"]).toMatchObject({
      phase: "Succeeded",
      outputs: { resumed: "duration" },
    });

    const early = await tick(definition, resume(first.state, "pause"), 5_000, rec.registry);
    expect(early.state.steps["pause"]).toMatchObject({ phase: "Succeeded", outputs: { resumed: "manual" } });
  });

  it("with a timeout fails when nobody resumes in time", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = { steps: [{ name: "approve", type: "suspend", timeout: "1h" }] };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(first.nextWakeAt).toBe(3_600_000);
    const late = await tick(definition, first.state, 3_600_000, rec.registry);
    expect(late.state.steps["approve"]).toMatchObject({ phase: "Failed", reason: "TimedOut" });
  });
});

describe("custom suspending step types", () => {
  it("are invoked again with ctx.resume and decide what the resume means", async () => {
    const rec = recorder({
      analysis: (ctx) =>
        ctx.resume === undefined
          ? suspended("inconclusive-1", { reason: "analysis inconclusive" })
          : succeeded({ approvedBy: ctx.resume.payload ?? null }),
    });
    const definition: WorkflowDefinition = { steps: [step("analysis")] };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    const done = await tick(definition, resume(first.state, "inconclusive-1", "bob"), 1, rec.registry);
    expect(done.state.steps["analysis"]?.outputs).toEqual({ approvedBy: "bob" });
    expect(rec.callsOf("analysis").map((call) => call.ctx.resume)).toEqual([
      undefined,
      { token: "inconclusive-1", payload: "bob" },
    ]);
  });
});

describe("built-in wait and fail", () => {
  it("wait succeeds at its until time or duration", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [
        { name: "until", type: "wait", properties: { until: "1970-01-01T00:00:05Z" } },
        { name: "for", type: "wait", properties: { duration: "2s" } },
      ],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["until"]).toMatchObject({ phase: "Succeeded", finishedAt: 5_000 });
    expect(state.steps["for"]).toMatchObject({ phase: "Succeeded", finishedAt: 2_000 });
  });

  it("fail fails with its message", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [{ name: "stop", type: "fail", properties: { message: "no" } }],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["stop"]).toMatchObject({ phase: "Failed", reason: "StepFailed", message: "no" });
  });
});

describe("groups", () => {
  it("run their sub-steps in the group's own mode, and succeed when none failed", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [
        step("before"),
        {
          name: "gates",
          type: "group",
          group: {
            mode: "dag",
            steps: [step("gate-a"), step("gate-b"), step("both", { dependsOn: ["gate-a", "gate-b"] })],
          },
        },
        step("after"),
      ],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(rec.names()).toEqual(["before", "gate-a", "gate-b", "both", "after"]);
    expect(phases(state)).toMatchObject({ gates: "Succeeded", after: "Succeeded" });
    expect(rec.callsOf("gate-a")[0]?.ctx.path).toBe("gates/gate-a");
    expect(rec.callsOf("gate-a")[0]?.idempotencyKey).toBe("run:g0:gates/gate-a:a1");
  });

  it("fail when a sub-step failed, which skips what depends on the group", async () => {
    const rec = recorder({ inner: () => ({ kind: "failed", reason: "bad batch" }) });
    const definition: WorkflowDefinition = {
      steps: [{ name: "g", type: "group", group: { steps: [step("inner")] } }, step("after")],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["g"]).toMatchObject({
      phase: "Failed",
      reason: "SubStepFailed",
      message: 'sub-step "inner" failed: bad batch',
    });
    expect(state.steps["after"]).toMatchObject({ phase: "Skipped", reason: "UpstreamFailed" });
  });

  it("skipped by their if skip every sub-step", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [{ name: "g", type: "group", if: "false", group: { steps: [step("x"), step("y")] } }],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(phases(state)).toEqual({ g: "Skipped", x: "Skipped", y: "Skipped" });
    expect(state.steps["x"]?.reason).toBe("ParentSkipped");
    expect(rec.calls).toEqual([]);
  });

  it("can hold a suspend step; resume reaches it and the group goes on", async () => {
    const rec = recorder();
    const definition: WorkflowDefinition = {
      steps: [
        {
          name: "step-1",
          type: "group",
          group: { steps: [step("upgrade"), { name: "pause-1", type: "suspend" }, step("verify")] },
        },
      ],
    };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(first.state.phase).toBe("Suspended");
    expect(first.state.steps["step-1"]?.phase).toBe("Running");
    const done = await tick(definition, resume(first.state, "pause-1"), 5, rec.registry);
    expect(phases(done.state)).toEqual({
      "step-1": "Succeeded",
      upgrade: "Succeeded",
      "pause-1": "Succeeded",
      verify: "Succeeded",
    });
  });

  it("order a sub-step's outer reads: a sub-step reading a top-level step makes its group wait", async () => {
    const rec = recorder({
      probe: (ctx) =>
        ctx.now >= 50 ? succeeded({ ok: true }) : { kind: "wait", reason: "probing", until: 50 },
    });
    const definition: WorkflowDefinition = {
      mode: "dag",
      steps: [
        step("probe"),
        { name: "g", type: "group", group: { steps: [step("use", { if: "steps.probe.outputs.ok" })] } },
      ],
    };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(phases(first.state)).toEqual({ probe: "Running" });
    const second = await tick(definition, first.state, 50, rec.registry);
    expect(phases(second.state)).toEqual({ probe: "Succeeded", g: "Succeeded", use: "Succeeded" });
  });
});
