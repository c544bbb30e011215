import { describe, expect, it } from "vitest";
import { retryableError, startRun, succeeded, tick, wait } from "./index.ts";
import type { WorkflowDefinition, WorkflowEvent } from "./index.ts";
import { simulate } from "./simulate.ts";
import { recorder, step } from "./test-support.ts";

const ofType = <T extends WorkflowEvent["type"]>(events: readonly WorkflowEvent[], type: T) =>
  events.filter((event): event is Extract<WorkflowEvent, { type: T }> => event.type === type);

describe("retry", () => {
  it("backs off exponentially up to max, with a new idempotency key per attempt", async () => {
    const rec = recorder({
      flaky: (_ctx, call) => (call < 4 ? retryableError(`conflict ${call}`) : succeeded()),
    });
    const definition: WorkflowDefinition = {
      steps: [step("flaky", { retry: { limit: 5, backoff: { initial: "1s", factor: 2, max: "5s" } } })],
    };
    const { state, events } = await simulate(definition, rec.registry, { runId: "r", startAt: 0 });
    expect(state.phase).toBe("Succeeded");
    expect(rec.callsOf("flaky").map((call) => [call.now, call.attempt, call.idempotencyKey])).toEqual([
      [0, 1, "r:g0:flaky:a1"],
      [1_000, 2, "r:g0:flaky:a2"],
      [3_000, 3, "r:g0:flaky:a3"],
      [7_000, 4, "r:g0:flaky:a4"],
      [12_000, 5, "r:g0:flaky:a5"],
    ]);
    expect(
      ofType(events, "StepRetrying").map((event) => [event.attempt, event.retryAt, event.error]),
    ).toEqual([
      [2, 1_000, "conflict 0"],
      [3, 3_000, "conflict 1"],
      [4, 7_000, "conflict 2"],
      [5, 12_000, "conflict 3"],
    ]);
    expect(state.steps["flaky"]).toMatchObject({ attempt: 5, firstStartedAt: 0, finishedAt: 12_000 });
  });

  it("fails with RetriesExhausted after limit + 1 attempts", async () => {
    const rec = recorder({ flaky: () => retryableError("still down") });
    const definition: WorkflowDefinition = { steps: [step("flaky", { retry: { limit: 2 } })] };
    const { state } = await simulate(definition, rec.registry);
    expect(rec.callsOf("flaky")).toHaveLength(3);
    expect(state.steps["flaky"]).toMatchObject({
      phase: "Failed",
      reason: "RetriesExhausted",
      message: "failed after 3 attempts: still down",
    });
  });

  it("does not retry without a policy, uses defaultRetry when given, and treats a throw as retryable", async () => {
    let throws = 0;
    const rec = recorder({
      thrower: () => {
        throws++;
        throw new Error("socket hang up");
      },
    });
    const once: WorkflowDefinition = { steps: [step("thrower")] };
    const { state } = await simulate(once, rec.registry);
    expect(state.steps["thrower"]?.message).toBe(
      'failed after 1 attempt: step type "scripted" threw: socket hang up',
    );
    const withDefault: WorkflowDefinition = { steps: [step("thrower")], defaultRetry: { limit: 1 } };
    throws = 0;
    await simulate(withDefault, rec.registry);
    expect(throws).toBe(2);
  });

  it("keeps the retry count in the state, so a restarted controller does not grant fresh retries", async () => {
    const rec = recorder({ flaky: () => retryableError("down") });
    const definition: WorkflowDefinition = { steps: [step("flaky", { retry: { limit: 1 } })] };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    const reloaded = JSON.parse(JSON.stringify(first.state)) as typeof first.state;
    expect(reloaded.steps["flaky"]).toMatchObject({
      phase: "Running",
      reason: "RetryBackoff",
      attempt: 2,
      nextRunAt: 1_000,
    });
    const early = await tick(definition, reloaded, 500, rec.registry);
    expect(rec.calls).toHaveLength(1);
    const second = await tick(definition, early.state, 1_000, rec.registry);
    expect(second.state.steps["flaky"]).toMatchObject({ phase: "Failed", reason: "RetriesExhausted" });
  });
});

describe("timeout", () => {
  it("counts from the first start across waits and retries, and wakes the run at the deadline", async () => {
    const rec = recorder({
      slow: (_ctx, call) =>
        call % 2 === 0 ? wait("pods not ready", _ctx.now + 40_000) : retryableError("blip"),
    });
    const definition: WorkflowDefinition = {
      steps: [step("slow", { timeout: "1m", retry: { limit: 10, backoff: { initial: "1s" } } })],
    };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(first.nextWakeAt).toBe(40_000);
    const second = await tick(definition, first.state, 40_000, rec.registry);
    expect(second.nextWakeAt).toBe(41_000);
    const third = await tick(definition, second.state, 41_000, rec.registry);
    expect(third.nextWakeAt).toBe(60_000);
    const last = await tick(definition, third.state, 60_000, rec.registry);
    expect(last.state.steps["slow"]).toMatchObject({
      phase: "Failed",
      reason: "TimedOut",
      finishedAt: 60_000,
    });
    expect(ofType(last.events, "StepTimedOut")).toEqual([
      { type: "StepTimedOut", step: "slow", path: "slow", at: 60_000, timeoutMs: 60_000 },
    ]);
    // Not invoked once more after its deadline.
    expect(rec.callsOf("slow").map((call) => call.now)).toEqual([0, 40_000, 41_000]);
    expect(rec.callsOf("slow")[0]?.ctx.deadline).toBe(60_000);
  });

  it("on a group fails its running sub-steps and skips the ones not started", async () => {
    const rec = recorder({ busy: () => wait("working") });
    const definition: WorkflowDefinition = {
      steps: [
        {
          name: "batch",
          type: "group",
          timeout: "10s",
          group: { steps: [step("busy"), step("next")] },
        },
      ],
    };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["batch"]).toMatchObject({ phase: "Failed", reason: "TimedOut", finishedAt: 10_000 });
    expect(state.steps["busy"]).toMatchObject({ phase: "Failed", reason: "TimedOut" });
    expect(state.steps["next"]).toMatchObject({ phase: "Skipped", reason: "ParentTimedOut" });
    expect(state.phase).toBe("Failed");
  });
});

describe("wait outcome", () => {
  it("without until: polled on any later tick and woken after pollInterval; memory carries over", async () => {
    const rec = recorder({
      poll: (ctx) => {
        const seen = typeof ctx.memory === "number" ? ctx.memory + 1 : 1;
        return seen >= 3 ? succeeded({ seen }) : { ...wait(`seen ${seen}`), memory: seen };
      },
    });
    const definition: WorkflowDefinition = { steps: [step("poll")], pollInterval: "15s" };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(first.nextWakeAt).toBe(15_000);
    expect(first.state.steps["poll"]).toMatchObject({ phase: "Running", reason: "Waiting", memory: 1 });
    const second = await tick(definition, first.state, 2_000, rec.registry);
    const third = await tick(definition, second.state, 2_500, rec.registry);
    expect(third.state.steps["poll"]).toMatchObject({ phase: "Succeeded", outputs: { seen: 3 } });
    // Memory is scratch state of an unfinished step; it is dropped when the step finishes.
    expect(third.state.steps["poll"]?.memory).toBeUndefined();
    expect(rec.calls.map((call) => call.ctx.memory)).toEqual([undefined, 1, 2]);
  });

  it("with until: not invoked before that time, and the same reason is reported once", async () => {
    const rec = recorder({ timer: (ctx) => (ctx.now >= 9_000 ? succeeded() : wait("cooling down", 9_000)) });
    const definition: WorkflowDefinition = { steps: [step("timer")] };
    const first = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    const early = await tick(definition, first.state, 8_999, rec.registry);
    expect(rec.calls).toHaveLength(1);
    expect(early.events).toEqual([]);
    expect(ofType(first.events, "StepWaiting")).toEqual([
      { type: "StepWaiting", step: "timer", path: "timer", at: 0, message: "cooling down", until: 9_000 },
    ]);
    const done = await tick(definition, early.state, 9_000, rec.registry);
    expect(done.state.phase).toBe("Succeeded");
  });
});
