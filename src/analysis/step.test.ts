// The `analysis` step type driven by the real workflow engine with a fake clock and a scripted provider.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  createRegistry,
  resume,
  startRun,
  type JsonObject,
  type WorkflowDefinition,
  type WorkflowState,
} from "../workflow/index.ts";
import { AnalysisMetrics, MEASUREMENTS_METRIC, type AnalysisMetricsSink } from "./metrics.ts";
import type { MetricProvider } from "./provider.ts";
import { analysisStepType, gateStateOfStep, isInconclusiveGate, type GateReport } from "./step.ts";
import {
  analysisTemplate,
  answer,
  drive,
  GATE_STEP,
  gateDefinition,
  memoryTemplates,
  SCOPE,
  scriptedProvider,
  type MetricFixture,
} from "./testing/fixtures.ts";
import type { TemplateSource } from "./templates.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const STEP = GATE_STEP;

const definition = (extra: JsonObject = {}): WorkflowDefinition => gateDefinition("web", extra);

const metric = (over: MetricFixture = {}): MetricFixture => ({
  name: "error-rate",
  query: 'err{service="{{args.service}}",rev="{{canary.revision}}"}',
  successCondition: "result[0] <= 0.05",
  count: 3,
  interval: "10s",
  initialDelay: "5s",
  ...over,
});

function setup(
  metrics: readonly MetricFixture[],
  provider: MetricProvider,
  extra: { metrics?: AnalysisMetricsSink; source?: TemplateSource } = {},
) {
  const source =
    extra.source ?? memoryTemplates({ gate: analysisTemplate("gate", metrics, [{ name: "service" }]) });
  const reports: GateReport[] = [];
  const registry = () =>
    createRegistry({
      analysis: analysisStepType({
        templates: source,
        provider,
        scope: SCOPE,
        onReport: (r) => reports.push(r),
        ...(extra.metrics === undefined ? {} : { metrics: extra.metrics }),
      }),
    });
  return { registry, reports };
}

const measuredAt = (state: WorkflowState) =>
  gateStateOfStep(state.steps[STEP])?.metrics[0]?.measurements.map((m) => [m.index, m.at - T0]) ?? [];

describe("analysis step: a gate of count 3 at interval 10s after initialDelay 5s", () => {
  it("measures at 5s, 15s, 25s with the substituted query, then succeeds with the summary as outputs", async () => {
    const provider = scriptedProvider(() => answer.values(0.01));
    const { registry, reports } = setup([metric()], provider);
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), { registry });
    expect(run.state.phase).toBe("Succeeded");
    expect(provider.calls.map((c) => c.query)).toEqual(Array(3).fill('err{service="web",rev="canary1"}'));
    expect(measuredAt(run.state)).toEqual([
      [1, 5_000],
      [2, 15_000],
      [3, 25_000],
    ]);
    expect(run.state.steps[STEP]?.outputs?.["outcome"]).toBe("Successful");
    expect(reports.map((r) => r.outcome)).toEqual(["Running", "Running", "Running", "Successful"]);
    expect(reports.at(-1)?.metrics[0]).toMatchObject({
      metric: "error-rate",
      template: "gate",
      phase: "Successful",
      count: 3,
      successful: 3,
    });
    expect(reports[1]?.message).toBe(
      "analysis: error-rate 1/3 measurements; next at 2026-01-01T00:00:15.000Z",
    );
  });

  it("waits until the next measurement between measurements", async () => {
    const provider = scriptedProvider(() => answer.values(0.01));
    const { registry } = setup([metric()], provider);
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), {
      registry,
      until: (s) => (gateStateOfStep(s.steps[STEP])?.metrics[0]?.taken ?? 0) >= 1,
    });
    expect(run.state.steps[STEP]).toMatchObject({
      phase: "Running",
      reason: "Waiting",
      nextRunAt: T0 + 15_000,
    });
  });

  it("fails with the metric, value, condition and limit in the message", async () => {
    const provider = scriptedProvider((n) => answer.values(n === 1 ? 0.5 : 0.01));
    const { registry, reports } = setup([metric()], provider);
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), { registry });
    expect(run.state.phase).toBe("Failed");
    expect(run.state.steps[STEP]).toMatchObject({
      phase: "Failed",
      reason: "StepFailed",
      message:
        'analysis failed: metric "error-rate" (template gate): value 0.5: successCondition "result[0] <= 0.05" is false (1 failed > failureLimit 0)',
    });
    expect(provider.calls).toHaveLength(2);
    // The engine drops memory of a failed step; the report carries the final summary.
    expect(reports.at(-1)?.metrics[0]?.measurements?.map((m) => m.phase)).toEqual(["Successful", "Failed"]);
  });

  it("suspends an Inconclusive gate with the approval token; approving continues", async () => {
    const provider = scriptedProvider(() => answer.empty());
    const { registry } = setup([metric()], provider);
    const def = definition();
    const paused = await drive(def, startRun(def, "r1", T0), {
      registry,
      until: (s) => s.phase === "Suspended",
    });
    const step = paused.state.steps[STEP];
    expect(step).toMatchObject({ phase: "Suspended", token: "approve-2" });
    expect(step?.message).toBe(
      'analysis inconclusive: metric "error-rate" (template gate): value []: no data: the query returned an empty vector ' +
        '(1 inconclusive > inconclusiveLimit 0); to continue: kubectl slipway approve web -n shop (or set rollouts.slipway.dev/approve: "2"); to stop: kubectl slipway abort web -n shop (or set rollouts.slipway.dev/abort)',
    );
    expect(isInconclusiveGate(step)).toBe(true);
    const approved = resume(paused.state, "approve-2", { approvedBy: "alice@example.com" });
    const done = await drive(def, approved, { registry });
    expect(done.state.phase).toBe("Succeeded");
    expect(done.state.steps[STEP]?.outputs).toMatchObject({
      outcome: "AnalysisInconclusive",
      approved: true,
      approvedBy: "alice@example.com",
    });
    expect(provider.calls).toHaveLength(1);
  });

  it("uses properties.token when given", async () => {
    const { registry } = setup(
      [metric()],
      scriptedProvider(() => answer.empty()),
    );
    const def = definition({ token: "bg" });
    const paused = await drive(def, startRun(def, "r1", T0), {
      registry,
      until: (s) => s.phase === "Suspended",
    });
    expect(paused.state.steps[STEP]?.token).toBe("bg");
  });

  it("runs every metric of the template; the gate fails as soon as one fails", async () => {
    const provider = scriptedProvider((n, m) =>
      m.metric.name === "latency" && n === 0 ? answer.values(900) : answer.values(0.01),
    );
    const { registry } = setup(
      [metric(), metric({ name: "latency", successCondition: "result[0] < 500.0" })],
      provider,
    );
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), { registry });
    expect(run.state.steps[STEP]?.message).toContain('metric "latency" (template gate): value 900');
    expect(provider.calls.map((c) => c.key)).toEqual(["gate/error-rate", "gate/latency"]);
  });
});

describe("analysis step: durability", () => {
  it("a restarted controller continues the count: no reset, no duplicate (lost write redone under the same index)", async () => {
    const provider = scriptedProvider(() => answer.values(0.01));
    const def = definition();
    let controller = 0;
    let lastPersisted: WorkflowState | undefined;
    const { registry } = setup([metric({ count: 4 })], provider);
    const run = await drive(def, startRun(def, "r1", T0), {
      // Each tick is a fresh controller process: a new registry and step type instance.
      registry: () => {
        controller++;
        return registry();
      },
      between: (state, n) => {
        // Tick 2 took measurement 2, but the controller died before writing status: the write is lost.
        if (n === 2 && lastPersisted !== undefined) return lastPersisted;
        lastPersisted = state;
        return state;
      },
    });
    expect(run.state.phase).toBe("Succeeded");
    const gate = gateStateOfStep(run.state.steps[STEP]);
    expect(gate?.metrics[0]?.measurements.map((m) => m.index)).toEqual([1, 2, 3, 4]);
    expect(gate?.metrics[0]?.count).toBe(4);
    // Measurement 2 was queried twice (the lost one and its redo), recorded once.
    expect(provider.calls).toHaveLength(5);
    expect(controller).toBeGreaterThan(4);
  });

  it("keeps the last 10 measurements and the full counters", async () => {
    const provider = scriptedProvider(() => answer.values(0.01));
    const { registry } = setup([metric({ count: 25, interval: "1s", initialDelay: 0 })], provider);
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), { registry });
    const m = gateStateOfStep(run.state.steps[STEP])?.metrics[0];
    expect(m?.measurements.map((x) => x.index)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(m).toMatchObject({ count: 25, successful: 25 });
  });

  it("query errors are retried at interval and do not use up count; past the limit the gate is Inconclusive", async () => {
    const provider = scriptedProvider((n) => (n >= 1 ? answer.error() : answer.values(0.01)));
    const { registry } = setup([metric()], provider);
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), {
      registry,
      until: (s) => s.phase === "Suspended",
    });
    const m = gateStateOfStep(run.state.steps[STEP])?.metrics[0];
    expect(m).toMatchObject({ count: 1, errors: 5, consecutiveErrors: 5, phase: "Inconclusive" });
    expect(run.state.steps[STEP]?.message).toContain(
      "5 errors in a row > consecutiveErrorLimit 4 (onError: Inconclusive)",
    );
    expect(m?.measurements.map((x) => x.at - T0)).toEqual([5_000, 15_000, 25_000, 35_000, 45_000, 55_000]);
  });

  it("errors that stop before the limit let the gate pass", async () => {
    const provider = scriptedProvider((n) => (n >= 1 && n <= 4 ? answer.error() : answer.values(0.01)));
    const { registry } = setup([metric()], provider);
    const def = definition();
    const run = await drive(def, startRun(def, "r1", T0), { registry });
    expect(run.state.phase).toBe("Succeeded");
    expect(gateStateOfStep(run.state.steps[STEP])?.metrics[0]).toMatchObject({
      count: 3,
      errors: 4,
      consecutiveErrors: 0,
    });
  });

  it("a missing template is retried with the step's backoff (message names it), and the gate starts once it exists", async () => {
    const source = memoryTemplates({});
    const provider = scriptedProvider(() => answer.values(0.01));
    const { registry } = setup([metric()], provider, { source });
    const def: WorkflowDefinition = {
      ...definition(),
      defaultRetry: { limit: 5, backoff: { initial: "1s" } },
    };
    let first: WorkflowState | undefined;
    const run = await drive(def, startRun(def, "r1", T0), {
      registry,
      between: (state, n) => {
        if (n === 0) first = state;
        if (n === 1) source.templates["gate"] = analysisTemplate("gate", [metric()], [{ name: "service" }]);
        return state;
      },
    });
    expect(first?.steps[STEP]).toMatchObject({
      phase: "Running",
      reason: "RetryBackoff",
      message:
        "AnalysisTemplate shop/gate does not exist: create it (or set clusterScope: true for a ClusterAnalysisTemplate)",
    });
    expect(run.state.phase).toBe("Succeeded");
  });

  it("validates its properties before the first tick", () => {
    const type = analysisStepType({
      templates: memoryTemplates(),
      provider: scriptedProvider(() => answer.empty()),
      scope: SCOPE,
    });
    expect(type.validate?.({ step: 1 })).toEqual(["properties: set exactly one of template and templates"]);
    expect(type.validate?.({ template: { name: "x" }, args: [{ name: "a" }] })).toEqual([
      expect.stringContaining("properties.args.0.value"),
    ]);
  });
});

describe("slipway_analysis_measurements_total", () => {
  it("counts each measurement by result", async () => {
    const registry = new Registry();
    const sink = new AnalysisMetrics(registry);
    const provider = scriptedProvider(
      (n) =>
        [answer.values(0.01), answer.error(), answer.values(0.01), answer.values(0.01)][n] ?? answer.empty(),
    );
    const { registry: steps } = setup([metric()], provider, { metrics: sink });
    const def = definition();
    await drive(def, startRun(def, "r1", T0), { registry: steps });
    const values = (await registry.getSingleMetric(MEASUREMENTS_METRIC)?.get())?.values ?? [];
    const byResult = Object.fromEntries(values.map((v) => [v.labels["result"], v.value]));
    expect(byResult).toEqual({ Successful: 3, Failed: 0, Inconclusive: 0, Error: 1 });
  });
});
