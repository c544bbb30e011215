// Metric gates against a real Prometheus (Debian's binary on loopback) scraping an exporter the test
// controls. Each gate runs through the workflow engine with the `analysis` step type and the real
// Prometheus provider, in real time (1 s intervals). No controller is involved.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analysisStepType,
  gateStateOfStep,
  isInconclusiveGate,
  prometheusProvider,
  type GateReport,
} from "../../src/analysis/index.ts";
import { queryPrometheus, type PrometheusRequest } from "../../src/analysis/prometheus.ts";
import {
  analysisTemplate,
  drive,
  GATE_STEP,
  gateDefinition,
  memoryTemplates,
  SCOPE,
  type MetricFixture,
} from "../../src/analysis/testing/fixtures.ts";
import { createRegistry, resume, startRun, type WorkflowState } from "../../src/workflow/index.ts";
import { startExporter, type TestExporter } from "./lib/exporter.ts";
import { sleep, startPrometheus, type PrometheusServer } from "./lib/prometheus.ts";
import { waitFor, done, notYet } from "./lib/index.ts";

const STEP = GATE_STEP;
const EVIL = 'evil"} or vector(1) #';
/** A 30 s window keeps data across the gap of a short outage (Prometheus scrapes again ~5 s after a start). */
const ERROR_RATE =
  'sum(rate(http_requests_total{service="{{args.service}}",pod_template_hash="{{canary.revision}}",status=~"5.."}[30s]))' +
  ' / sum(rate(http_requests_total{service="{{args.service}}",pod_template_hash="{{canary.revision}}"}[30s]))';

let exporter: TestExporter;
let prometheus: PrometheusServer;

beforeAll(async () => {
  exporter = await startExporter();
  exporter.setTraffic("web", "stable1", { rps: 50, errorRate: 0 });
  exporter.setTraffic("web", "good1", { rps: 50, errorRate: 0.01 });
  exporter.setTraffic("web", "bad1", { rps: 50, errorRate: 0.3 });
  exporter.setTraffic(EVIL, "x", { rps: 0, errorRate: 0 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await waitForData();
}, 60_000);

afterAll(async () => {
  await prometheus?.close();
  await exporter?.close();
});

async function waitForData(): Promise<void> {
  await waitFor(
    "the canary's error rate in Prometheus",
    async () => {
      const rows = await prometheus.query(
        ERROR_RATE.replaceAll("{{args.service}}", "web").replaceAll("{{canary.revision}}", "good1"),
      );
      return rows.length === 1 ? done(rows) : notYet(`rows: ${JSON.stringify(rows)}`);
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

interface Gate {
  readonly state: WorkflowState;
  readonly reports: GateReport[];
  readonly sent: PrometheusRequest[];
}

/** Runs one gate through the engine in real time; `between` sees the state after each tick. */
async function runGate(
  canary: string,
  metric: MetricFixture,
  options: {
    service?: string;
    start?: WorkflowState;
    until?: (s: WorkflowState) => boolean;
    between?: (s: WorkflowState) => Promise<void> | void;
  } = {},
): Promise<Gate> {
  const reports: GateReport[] = [];
  const sent: PrometheusRequest[] = [];
  const templates = memoryTemplates({
    gate: analysisTemplate(
      "gate",
      [{ name: "error-rate", address: prometheus.url, query: ERROR_RATE, ...metric }],
      [{ name: "service" }],
    ),
  });
  const provider = prometheusProvider({
    query: (r) => {
      sent.push(r);
      return queryPrometheus(r);
    },
  });
  const registry = () =>
    createRegistry({
      analysis: analysisStepType({
        templates,
        provider,
        scope: { ...SCOPE, canaryRevision: canary },
        onReport: (r) => reports.push(r),
      }),
    });
  const definition = gateDefinition(options.service ?? "web");
  const run = await drive(definition, options.start ?? startRun(definition, `gate-${canary}`, Date.now()), {
    registry,
    clock: () => Date.now(),
    sleep,
    maxTicks: 500,
    between: async (s) => {
      await options.between?.(s);
    },
    ...(options.until === undefined ? {} : { until: options.until }),
  });
  return { state: run.state, reports, sent };
}

const gateOf = (s: WorkflowState) => gateStateOfStep(s.steps[STEP])?.metrics[0];
const lastReport = (g: Gate) => g.reports.at(-1)?.metrics[0];

describe("analysis gates against a real Prometheus", () => {
  it("a good canary passes a gate of count 3 at interval 1s", async () => {
    const gate = await runGate("good1", { successCondition: "result[0] <= 0.05", count: 3, interval: "1s" });
    expect(gate.state.phase).toBe("Succeeded");
    const m = gateOf(gate.state);
    expect(m).toMatchObject({ count: 3, successful: 3, errors: 0 });
    const at = m?.measurements.map((x) => x.at) ?? [];
    expect(at).toHaveLength(3);
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
    for (const x of m?.measurements ?? []) expect(Number(x.value)).toBeCloseTo(0.01, 2);
    expect(gate.sent[0]?.query).toContain('pod_template_hash="good1"');
  });

  it("a bad canary fails with the metric, value and condition in the message", async () => {
    const gate = await runGate("bad1", { successCondition: "result[0] <= 0.05", count: 3, interval: "1s" });
    expect(gate.state.phase).toBe("Failed");
    const message = gate.state.steps[STEP]?.message ?? "";
    expect(message).toMatch(
      /^analysis failed: metric "error-rate" \(template gate\): value 0\.3\d*: successCondition "result\[0\] <= 0\.05" is false \(1 failed > failureLimit 0\)$/,
    );
    expect(lastReport(gate)).toMatchObject({ phase: "Failed", failed: 1, count: 1 });
  });

  it("no data with noData: Inconclusive pauses (resumable by approval); with noData: Fail it fails", async () => {
    const paused = await runGate(
      "ghost1",
      { successCondition: "result[0] <= 0.05", count: 3, interval: "1s" },
      { until: (s) => s.phase === "Suspended" },
    );
    const step = paused.state.steps[STEP];
    expect(step).toMatchObject({ phase: "Suspended", token: "approve-2" });
    expect(step?.message).toContain("no data: the query returned an empty vector");
    expect(isInconclusiveGate(step)).toBe(true);
    const approved = await runGate(
      "ghost1",
      { successCondition: "result[0] <= 0.05" },
      { start: resume(paused.state, "approve-2", { approvedBy: "alice" }) },
    );
    expect(approved.state.phase).toBe("Succeeded");
    expect(approved.sent).toHaveLength(0);

    const failed = await runGate("ghost1", {
      successCondition: "result[0] <= 0.05",
      count: 3,
      interval: "1s",
      noData: "Fail",
    });
    expect(failed.state.phase).toBe("Failed");
    expect(failed.state.steps[STEP]?.message).toContain(
      "no data: the query returned an empty vector (noData: Fail)",
    );
  });

  it('an argument containing `"} or vector(1) #` cannot change the query', async () => {
    const query = 'http_requests_total{service="{{args.service}}",status="500"}';
    // Control experiment: naive substitution lets the argument rewrite the query into `... or vector(1)`.
    const naive = await prometheus.query(query.replace("{{args.service}}", EVIL));
    expect(naive).toEqual([{ labels: {}, value: 1 }]);
    // Through the gate, the whole argument is the label value: the query selects exactly that one series.
    const gate = await runGate(
      "x",
      { query, successCondition: "size(result) == 1 && result[0] == 0.0", count: 1, interval: "1s" },
      { service: EVIL },
    );
    expect(gate.sent[0]?.query).toBe('http_requests_total{service="evil\\"} or vector(1) #",status="500"}');
    expect(gate.state.phase).toBe("Succeeded");
    expect(gateOf(gate.state)?.measurements[0]).toMatchObject({ phase: "Successful", value: "0" });
  });

  describe("Prometheus outage mid-gate", () => {
    it("errors are counted and, with the default onError: Inconclusive, the gate pauses instead of failing", async () => {
      try {
        const gate = await runGate(
          "good1",
          { successCondition: "result[0] <= 0.05", count: 5, interval: "1s" },
          {
            until: (s) => s.phase !== "Running",
            between: async (s) => {
              if ((gateOf(s)?.count ?? 0) >= 1 && prometheus.running()) await prometheus.stop();
            },
          },
        );
        expect(gate.state.phase).toBe("Suspended");
        const step = gate.state.steps[STEP];
        expect(step?.message).toContain(
          "5 errors in a row > consecutiveErrorLimit 4 (onError: Inconclusive)",
        );
        expect(step?.message).toContain("cannot reach Prometheus at");
        expect(gateOf(gate.state)).toMatchObject({
          count: 1,
          successful: 1,
          errors: 5,
          consecutiveErrors: 5,
          phase: "Inconclusive",
        });
      } finally {
        await prometheus.start();
      }
    });

    it("restarting Prometheus before the limit lets the gate pass", async () => {
      let restarted = false;
      try {
        const gate = await runGate(
          "good1",
          { successCondition: "result[0] <= 0.05", count: 3, interval: "1s" },
          {
            between: async (s) => {
              const m = gateOf(s);
              if ((m?.count ?? 0) >= 1 && !restarted && prometheus.running()) await prometheus.stop();
              if ((m?.consecutiveErrors ?? 0) >= 2 && !prometheus.running()) {
                await prometheus.start();
                restarted = true;
              }
            },
          },
        );
        expect(restarted).toBe(true);
        expect(gate.state.phase).toBe("Succeeded");
        const m = gateOf(gate.state);
        expect(m).toMatchObject({ count: 3, successful: 3, consecutiveErrors: 0 });
        expect(m?.errors).toBeGreaterThanOrEqual(2);
        expect(m?.errors).toBeLessThanOrEqual(4);
        expect(m?.measurements.map((x) => x.phase)).toContain("Error");
      } finally {
        if (!prometheus.running()) await prometheus.start();
      }
    });
  });
});
