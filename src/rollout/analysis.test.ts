// Metric gates and background analysis driven by the real reconciler over the in-memory world (fake clock,
// scripted provider): the release-level effects of SPEC §2.2 and §5.6.
import { describe, expect, it } from "vitest";
import type { ParsedResponse } from "../analysis/prometheus-response.ts";
import type { MetricFixture } from "../analysis/testing/fixtures.ts";
import {
  analysisTemplate,
  answer,
  memoryTemplates,
  scriptedProvider,
  type ScriptedProvider,
} from "../analysis/testing/fixtures.ts";
import type { PreparedMetric } from "../analysis/templates.ts";
import { ANNOTATION_APPROVE, ANNOTATION_APPROVED_BY } from "../api/names.ts";
import type { Rollout } from "../api/rollout.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

type Canary = Rollout["spec"]["strategy"]["canary"];

const GATE = { templates: [{ name: "gate" }], args: [{ name: "service", value: "web" }] };

/** The shared test Rollout in namespace shop (where the in-memory templates live), with these steps. */
function rollout(canary: Partial<Canary>): Rollout {
  return { ...testRollout(canary), metadata: { name: "web", namespace: "shop" } };
}

const errorRate = (over: MetricFixture = {}): MetricFixture => ({
  name: "error-rate",
  query: 'err{service="{{args.service}}",rev="{{canary.revision}}"}',
  successCondition: "result[0] <= 0.05",
  count: 3,
  interval: "10s",
  ...over,
});

async function release(
  r: Rollout,
  script: (call: number, metric: PreparedMetric) => ParsedResponse,
  metric: MetricFixture = errorRate(),
): Promise<{ d: Driver; provider: ScriptedProvider }> {
  const world = new FakeWorld(r, 10);
  const provider = scriptedProvider(script);
  world.analysis = {
    templates: memoryTemplates({ gate: analysisTemplate("gate", [metric], [{ name: "service" }]) }),
    provider,
    clusterSecretNamespace: "slipway-system",
  };
  const d = new Driver(world);
  await d.quiet();
  world.setTemplate("v2");
  return { d, provider };
}

const phase = (d: Driver) => d.world.status?.phase;
const condition = (d: Driver, type: string) => d.world.status?.conditions?.find((c) => c.type === type);
const aborted = (d: Driver) => phase(d) === "Aborted" && condition(d, "Progressing")?.status === "False";
const healthy = (d: Driver) =>
  phase(d) === "Healthy" && d.world.status?.history?.at(-1)?.outcome === "Succeeded";

function approve(d: Driver, value: string): void {
  d.world.annotations[ANNOTATION_APPROVE] = value;
  d.world.annotations[ANNOTATION_APPROVED_BY] = "alice";
}

describe("step gates in a release", () => {
  const steps = [{ replicas: 1, analysis: GATE }, { replicas: "50%" }, { replicas: "100%" }];

  it("a good canary passes the gate (count 3 at 10s) and the release completes; status shows the measurements", async () => {
    const { d, provider } = await release(rollout({ steps }), () => answer.values(0.01));
    let seen: unknown;
    await d.until(() => {
      seen ??= d.world.status?.steps?.[0]?.analysis?.find((m) => m.count === 2);
      return healthy(d);
    });
    expect(provider.calls.map((c) => c.query)).toEqual(Array(3).fill('err{service="web",rev="v2"}'));
    expect(seen).toMatchObject({ metric: "error-rate", template: "gate", phase: "Running", count: 2 });
    expect(d.world.status?.steps?.[0]?.analysis?.[0]).toMatchObject({
      phase: "Successful",
      count: 3,
      successful: 3,
    });
    expect(d.world.podsOf("v2")).toBe(10);
  });

  it("a failed gate aborts the release: pods back on stable, the metric, value and condition in the message", async () => {
    const { d } = await release(rollout({ steps }), (n) => answer.values(n === 1 ? 0.4 : 0.01));
    await d.until(() => aborted(d));
    const message = d.world.status?.message ?? "";
    expect(message).toContain(
      'metric "error-rate" (template gate): value 0.4: successCondition "result[0] <= 0.05" is false',
    );
    expect(d.world.status?.history?.at(-1)).toMatchObject({ outcome: "Aborted" });
    expect(d.world.podsOf("v2")).toBe(0);
    expect(d.world.podsOf("v1")).toBe(10);
    // The engine drops a failed step's memory; status keeps the final summary from the gate's report.
    expect(d.world.status?.steps?.[0]?.analysis?.[0]).toMatchObject({ phase: "Failed", count: 2, failed: 1 });
    expect(d.world.events.some((e) => e.reason === "StepFailed" && e.message.includes("value 0.4"))).toBe(
      true,
    );
  });

  it("an inconclusive gate pauses the release (reason AnalysisInconclusive); approving continues", async () => {
    const { d } = await release(rollout({ steps }), (n) => (n === 0 ? answer.empty() : answer.values(0.01)));
    await d.until(() => phase(d) === "Paused");
    expect(condition(d, "Paused")).toMatchObject({ status: "True", reason: "AnalysisInconclusive" });
    expect(d.world.status?.message).toContain("no data: the query returned an empty vector");
    expect(d.world.status?.message).toContain(
      'to continue: kubectl slipway approve web -n shop (or set rollouts.slipway.dev/approve: "1")',
    );
    expect(d.world.status?.currentStepState).toBe("Analyzing");
    approve(d, "1");
    await d.until(() => healthy(d));
    expect(d.world.annotations[ANNOTATION_APPROVE]).toBeUndefined();
  });

  it("a controller that crashes before writing status continues the count without a duplicate", async () => {
    const { d, provider } = await release(rollout({ steps }), () => answer.values(0.01));
    await d.until(() => (d.world.status?.steps?.[0]?.analysis?.[0]?.count ?? 0) >= 1);
    d.world.crashBeforeStatus = true;
    await d.until(() => healthy(d));
    // One measurement was taken twice (the crashed reconcile and its redo), but counted once.
    expect(provider.calls).toHaveLength(4);
    const measured = d.world.status?.steps?.[0]?.analysis?.[0];
    expect(measured).toMatchObject({ count: 3, successful: 3 });
    const at = (measured?.measurements ?? []).map((m) => Date.parse(m.at));
    expect(at).toHaveLength(3);
    expect(new Set(at).size).toBe(3);
  });
});

describe("background analysis", () => {
  const longPause = [{ replicas: 1, pause: { duration: "10m" } }, { replicas: "100%" }];

  it("fails during a long pause: the release is aborted without waiting for the pause to end", async () => {
    const r = rollout({ steps: longPause, analysis: { ...GATE, startingStep: 1 } });
    const { d } = await release(r, (n) => answer.values(n < 3 ? 0.01 : 0.5), errorRate({ interval: "30s" }));
    const started = d.now;
    await d.until(() => aborted(d));
    expect(d.now - started).toBeLessThan(3 * 60_000);
    expect(d.world.status?.message).toContain(
      'background analysis failed: metric "error-rate" (template gate): value 0.5',
    );
    expect(d.world.podsOf("v2")).toBe(0);
    expect(d.world.status?.backgroundAnalysis?.[0]).toMatchObject({
      metric: "error-rate",
      phase: "Failed",
      count: 4,
    });
    expect(d.world.events.some((e) => e.reason === "AnalysisFailed")).toBe(true);
  });

  it("inconclusive pauses the release; approving clears it and the release completes", async () => {
    const r = rollout({
      steps: [{ replicas: 1, pause: { duration: "2m" } }, { replicas: "100%" }],
      analysis: GATE,
    });
    const { d } = await release(
      r,
      (n) => (n === 1 ? answer.empty() : answer.values(0.01)),
      errorRate({ interval: "30s" }),
    );
    await d.until(() => phase(d) === "Paused");
    expect(condition(d, "Paused")).toMatchObject({ reason: "AnalysisInconclusive" });
    expect(d.world.status?.message).toMatch(
      /^background analysis inconclusive: .*no data.*; to continue: kubectl slipway approve web -n shop \(or set rollouts.slipway.dev\/approve: "1"\); to stop: kubectl slipway abort web -n shop \(or set rollouts.slipway.dev\/abort\)$/,
    );
    approve(d, "1");
    await d.until(() => healthy(d));
    expect(d.world.status?.backgroundAnalysis?.[0]).toMatchObject({ phase: "Running", inconclusive: 0 });
  });

  it("starts at startingStep", async () => {
    const r = rollout({
      steps: [
        { replicas: 1, pause: { duration: "1m" } },
        { replicas: "50%", pause: { duration: "1m" } },
        { replicas: "100%" },
      ],
      analysis: { ...GATE, startingStep: 2 },
    });
    const { d, provider } = await release(r, () => answer.values(0.01));
    await d.until(() => d.world.status?.currentStepIndex === 2);
    expect(provider.calls).toHaveLength(0);
    await d.until(() => healthy(d));
    expect(provider.calls.length).toBeGreaterThanOrEqual(2);
  });
});
