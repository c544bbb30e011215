import { describe, expect, it } from "vitest";
import {
  advanceBackground,
  type BackgroundInput,
  type BackgroundResult,
  type BackgroundState,
} from "./background.ts";
import { compactGateState, type GateState } from "./gate.ts";
import {
  analysisTemplate,
  answer,
  memoryTemplates,
  SCOPE,
  scriptedProvider,
  type ScriptedProvider,
} from "./testing/fixtures.ts";
import type { ParsedResponse } from "./prometheus-response.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const template = analysisTemplate("budget", [
  { name: "errors", successCondition: "result[0] < 0.05", interval: "30s", count: 2 },
]);

/** Calls advanceBackground at each wake-up like a reconciler would, with state persisted as JSON. */
async function reconcileUntil(
  provider: ScriptedProvider,
  stop: (r: BackgroundResult) => boolean,
  options: { start?: BackgroundState; now?: number; approved?: boolean } = {},
): Promise<{ result: BackgroundResult; now: number }> {
  let state = options.start;
  let now = options.now ?? T0;
  for (let i = 0; i < 100; i++) {
    const input: BackgroundInput = {
      state,
      templates: [{ name: "budget" }],
      args: [],
      scope: SCOPE,
      now,
      ...(i === 0 && options.approved === true ? { approved: true } : {}),
      deps: { templates: memoryTemplates({ budget: template }), provider },
    };
    const result = await advanceBackground(input);
    state = JSON.parse(JSON.stringify(result.state)) as BackgroundState;
    if (stop(result)) return { result, now };
    if (result.kind !== "running" || result.nextAt === undefined) throw new Error(`stuck: ${result.message}`);
    now = result.nextAt;
  }
  throw new Error("did not stop");
}

const script = (f: (n: number) => ParsedResponse) => scriptedProvider((n) => f(n));

describe("background analysis", () => {
  it("measures every interval from its start and does not end by count", async () => {
    const provider = script(() => answer.values(0.01));
    const { result, now } = await reconcileUntil(provider, () => provider.calls.length >= 6);
    expect(result.kind).toBe("running");
    expect(now).toBe(T0 + 5 * 30_000);
    expect(result.state.startedAt).toBe(T0);
    expect(result.metrics[0]).toMatchObject({ metric: "errors", phase: "Running", count: 6, successful: 6 });
    expect(result.kind === "running" && result.nextAt).toBe(T0 + 6 * 30_000);
  });

  it("fails with the metric, value and condition", async () => {
    const provider = script((n) => answer.values(n === 3 ? 0.2 : 0.01));
    const { result } = await reconcileUntil(provider, (r) => r.kind !== "running");
    expect(result).toMatchObject({
      kind: "failed",
      message:
        'background analysis failed: metric "errors" (template budget): value 0.2: successCondition "result[0] < 0.05" is false (1 failed > failureLimit 0)',
    });
  });

  it("stays Inconclusive without measuring until approved, then measures on", async () => {
    const provider = script((n) => (n === 1 ? answer.empty() : answer.values(0.01)));
    const first = await reconcileUntil(provider, (r) => r.kind !== "running");
    expect(first.result.kind).toBe("inconclusive");
    const calls = provider.calls.length;
    const again = await advanceBackground({
      state: first.result.state,
      templates: [{ name: "budget" }],
      args: [],
      scope: SCOPE,
      now: first.now + 120_000,
      deps: { templates: memoryTemplates({ budget: template }), provider },
    });
    expect(again.kind).toBe("inconclusive");
    expect(provider.calls.length).toBe(calls);
    const approved = await reconcileUntil(provider, () => provider.calls.length >= calls + 2, {
      start: first.result.state,
      now: first.now + 120_000,
      approved: true,
    });
    expect(approved.result.kind).toBe("running");
    expect(approved.result.metrics[0]).toMatchObject({ phase: "Running", inconclusive: 0, count: 4 });
  });

  it("reports a template problem without measuring", async () => {
    const provider = script(() => answer.values(0));
    const result = await advanceBackground({
      state: undefined,
      templates: [{ name: "missing" }],
      args: [],
      scope: SCOPE,
      now: T0,
      deps: { templates: memoryTemplates({}), provider },
    });
    expect(result).toMatchObject({
      kind: "unresolved",
      message: expect.stringContaining("AnalysisTemplate shop/missing does not exist"),
    });
    expect(provider.calls).toHaveLength(0);
  });
});

describe("compactGateState", () => {
  const big: GateState = {
    version: 1,
    metrics: ["a", "b"].map((key) => ({
      key: `t/${key}`,
      count: 10,
      successful: 10,
      failed: 0,
      inconclusive: 0,
      errors: 0,
      consecutiveErrors: 0,
      taken: 10,
      nextAt: T0,
      phase: "Running" as const,
      measurements: Array.from({ length: 10 }, (_, i) => ({
        index: i + 1,
        phase: "Successful" as const,
        at: T0 + i,
        value: "0.01",
        message: "x".repeat(100),
      })),
    })),
  };

  it("leaves a small state alone", () => {
    expect(compactGateState(big, 100_000)).toBe(big);
  });

  it("drops the oldest measurements first, evenly, keeping the newest", () => {
    const small = compactGateState(big, 2000);
    expect(Buffer.byteLength(JSON.stringify(small))).toBeLessThanOrEqual(2000);
    for (const m of small.metrics) {
      expect(m.measurements.at(-1)?.index).toBe(10);
      expect(m.count).toBe(10);
    }
    const lengths = small.metrics.map((m) => m.measurements.length);
    expect(Math.abs((lengths[0] ?? 0) - (lengths[1] ?? 0))).toBeLessThanOrEqual(1);
  });

  it("finally drops messages when one measurement each is still too much", () => {
    const tiny = compactGateState(big, 300);
    expect(
      tiny.metrics.every((m) => m.measurements.length === 1 && m.measurements[0]?.message === undefined),
    ).toBe(true);
  });
});
