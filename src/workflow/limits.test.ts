import { describe, expect, it } from "vitest";
import { parseDuration, startRun, succeeded, tick, wait } from "./index.ts";
import type { StepOutcome, WorkflowDefinition } from "./index.ts";
import { simulate } from "./simulate.ts";
import { recorder, step } from "./test-support.ts";

describe("size limits", () => {
  it("fail a step whose outputs are too large, naming the step, the size and the limit", async () => {
    const rec = recorder({ big: () => succeeded({ blob: "x".repeat(200) }) });
    const definition: WorkflowDefinition = { steps: [step("big")], limits: { maxOutputBytes: 100 } };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["big"]).toMatchObject({
      phase: "Failed",
      reason: "OutputTooLarge",
      message:
        'step "big" returned 211 bytes of outputs; the limit is 100 (limits.maxOutputBytes): return a reference to ' +
        "large data instead of the data",
    });
    expect(state.steps["big"]?.outputs).toBeUndefined();
  });

  it("fail a step whose memory is too large", async () => {
    const rec = recorder({
      hoarder: () => ({ ...wait("collecting"), memory: { samples: Array(100).fill(0.99) } }),
    });
    const definition: WorkflowDefinition = { steps: [step("hoarder")], limits: { maxMemoryBytes: 64 } };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["hoarder"]).toMatchObject({ phase: "Failed", reason: "MemoryTooLarge" });
    expect(state.steps["hoarder"]?.message).toMatch(
      /^step "hoarder" kept \d+ bytes of memory; the limit is 64/,
    );
  });

  it("cut long messages to maxMessageLength", async () => {
    const rec = recorder({ chatty: () => wait("y".repeat(100)) });
    const definition: WorkflowDefinition = { steps: [step("chatty")], limits: { maxMessageLength: 10 } };
    const { state, events } = await tick(definition, startRun(definition, "r", 0), 0, rec.registry);
    expect(state.steps["chatty"]?.message).toBe(`${"y".repeat(9)}…`);
    expect(events.find((event) => event.type === "StepWaiting")).toMatchObject({
      message: `${"y".repeat(9)}…`,
    });
    // Messages the engine writes itself are cut too.
    const skipped: WorkflowDefinition = {
      steps: [step("s", { if: "false" })],
      limits: { maxMessageLength: 10 },
    };
    const result = await tick(skipped, startRun(skipped, "r", 0), 0, rec.registry);
    expect(result.state.steps["s"]?.message).toBe('if "false…');
  });

  it("fail a step that returns something that is not an outcome, or outputs that are not JSON", async () => {
    const rec = recorder({
      nonsense: () => ({ kind: "done" }) as unknown as StepOutcome,
      bigint: () => ({ kind: "succeeded", outputs: { n: 1n } }) as unknown as StepOutcome,
    });
    const definition: WorkflowDefinition = { mode: "dag", steps: [step("nonsense"), step("bigint")] };
    const { state } = await simulate(definition, rec.registry);
    expect(state.steps["nonsense"]).toMatchObject({
      phase: "Failed",
      reason: "InvalidOutcome",
      message: 'step type "scripted" returned {"kind":"done"}, not a step outcome',
    });
    expect(state.steps["bigint"]).toMatchObject({
      phase: "Failed",
      reason: "InvalidOutcome",
      message: 'step "bigint" returned outputs that are not a JSON object',
    });
  });
});

describe("state", () => {
  it("is plain JSON: a JSON round trip gives back an equal state at every tick", async () => {
    const rec = recorder({
      a: () => succeeded({ when: new Date(0) as unknown as string, skip: undefined as unknown as string }),
      b: (ctx) => (ctx.now >= 10 ? succeeded() : { ...wait("w", 10), memory: { n: 1 } }),
    });
    const definition: WorkflowDefinition = { steps: [step("a"), step("b")] };
    await simulate(definition, rec.registry, {
      between: (result) => {
        expect(JSON.parse(JSON.stringify(result.state))).toStrictEqual(result.state);
        return result.state;
      },
    });
    expect(rec.callsOf("b")[0]?.ctx.inputs).toStrictEqual({ a: { when: "1970-01-01T00:00:00.000Z" } });
  });
});

describe("parseDuration", () => {
  it("reads units, combinations and integer seconds, and rejects anything else", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration(45)).toBe(45_000);
    expect(parseDuration("45")).toBe(45_000);
    expect(parseDuration("1.5h")).toBeUndefined();
    expect(parseDuration("5 minutes")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
  });
});
