// Metric gates that drive releases: the real controller (child process) on the local control plane, a real
// Prometheus on loopback scraping an exporter whose per-revision error rate the test controls.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { sleep } from "./lib/prometheus.ts";
import { withNamespace } from "./lib/index.ts";
import {
  BAD,
  gate,
  metricOfStep as firstMetric,
  NAME,
  PARTITION_DEPLOYMENT,
  scenario as inLab,
  startLab,
  startRelease as release,
  type AnalysisLab,
  type ReleaseOptions,
} from "./rollout/analysis-lab.ts";
import { startController } from "./rollout/controller-process.ts";
import { annotate, waitForRollout } from "./rollout/fixtures.ts";
import { podsSettled } from "./rollout/scenario.ts";

const N = PARTITION_DEPLOYMENT.replicas;

let lab: AnalysisLab;

beforeAll(async () => {
  lab = await startLab("analysis-tests");
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

const startRelease = (ns: string, steps: readonly unknown[], o: ReleaseOptions = {}) =>
  release(lab, ns, steps, o);
const scenario = (ns: string, body: () => Promise<void>) => inLab(lab, ns, body);

describe("step gates drive the release", () => {
  const steps = (ns: string) => [{ replicas: 1, analysis: gate(ns) }, { replicas: "100%" }];

  it("a good canary: the gate takes count 3 measurements at interval 1s, passes, and the release completes", async () => {
    await withNamespace((ns) =>
      scenario(ns, async () => {
        const { monitor, canary } = await startRelease(ns, steps(ns));
        try {
          const healthy = await waitForRollout(ns, NAME, "Healthy", (s) => s.phase === "Healthy");
          expect(healthy.status?.history?.at(-1)).toMatchObject({ revision: canary, outcome: "Succeeded" });
          const m = firstMetric(healthy.status ?? {});
          expect(m).toMatchObject({
            metric: "error-rate",
            template: "error-rate",
            phase: "Successful",
            count: 3,
            successful: 3,
          });
          const at = (m?.measurements ?? []).map((x) => Date.parse(x.at));
          for (let i = 1; i < at.length; i++)
            expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
          expect(monitor.violations).toEqual([]);
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);

  it("a bad canary: the gate fails, the release is Aborted with metric, value and condition, pods back on stable", async () => {
    await withNamespace((ns) =>
      scenario(ns, async () => {
        const { monitor, canary } = await startRelease(ns, steps(ns), { traffic: BAD });
        try {
          const aborted = await waitForRollout(
            ns,
            NAME,
            "Aborted by the gate",
            (s) =>
              s.phase === "Aborted" &&
              s.conditions?.some((c) => c.type === "Progressing" && c.status === "False") === true,
          );
          expect(aborted.status?.message).toMatch(
            /aborted at step 1\/2: .*analysis failed: metric "error-rate" \(template error-rate\): value 0\.4\d*: successCondition "result\[0\] <= 0\.05" is false/,
          );
          expect(firstMetric(aborted.status ?? {})).toMatchObject({ phase: "Failed", failed: 1 });
          await podsSettled(monitor, canary, 0, N);
          expect(monitor.violations).toEqual([]);
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);

  it("no data with noData: Inconclusive pauses with reason AnalysisInconclusive; approving continues", async () => {
    await withNamespace((ns) =>
      scenario(ns, async () => {
        const { monitor } = await startRelease(ns, steps(ns), {
          traffic: null,
          metric: { initialDelay: "2s" },
        });
        try {
          const paused = await waitForRollout(ns, NAME, "Paused on no data", (s) => s.phase === "Paused");
          const condition = paused.status?.conditions?.find((c) => c.type === "Paused");
          expect(condition).toMatchObject({ status: "True", reason: "AnalysisInconclusive" });
          expect(paused.status?.message).toContain("no data: the query returned an empty vector");
          await annotate(ns, NAME, ANNOTATION_APPROVE, "1", "alice");
          await waitForRollout(ns, NAME, "Healthy after the approval", (s) => s.phase === "Healthy");
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);

  it("no data with noData: Fail aborts", async () => {
    await withNamespace((ns) =>
      scenario(ns, async () => {
        const { monitor, canary } = await startRelease(ns, steps(ns), {
          traffic: null,
          metric: { initialDelay: "2s", noData: "Fail" },
        });
        try {
          const aborted = await waitForRollout(
            ns,
            NAME,
            "Aborted on no data",
            (s) =>
              s.phase === "Aborted" &&
              s.conditions?.some((c) => c.type === "Progressing" && c.status === "False") === true,
          );
          expect(aborted.status?.message).toContain(
            "no data: the query returned an empty vector (noData: Fail)",
          );
          await podsSettled(monitor, canary, 0, N);
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);
});

describe("background analysis", () => {
  it("fails during a long pause: the release is aborted without waiting for the pause to end", async () => {
    await withNamespace((ns) =>
      scenario(ns, async () => {
        const steps = [{ replicas: 1, pause: { duration: "10m" } }, { replicas: "100%" }];
        const { monitor, canary } = await startRelease(ns, steps, {
          background: { ...gate(ns), startingStep: 1 },
        });
        try {
          await waitForRollout(
            ns,
            NAME,
            "in the long pause with background measurements",
            (s) => s.currentStepState === "Paused" && (s.backgroundAnalysis?.[0]?.successful ?? 0) >= 2,
          );
          const broke = Date.now();
          lab.exporter.setTraffic(ns, canary, BAD);
          const aborted = await waitForRollout(
            ns,
            NAME,
            "Aborted by background analysis",
            (s) => s.phase === "Aborted",
          );
          expect(Date.now() - broke).toBeLessThan(60_000);
          expect(aborted.status?.message).toContain(
            'background analysis failed: metric "error-rate" (template error-rate)',
          );
          expect(aborted.status?.backgroundAnalysis?.[0]).toMatchObject({ phase: "Failed", failed: 1 });
          await podsSettled(monitor, canary, 0, N);
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);
});

describe("controller killed mid-gate", () => {
  it("continues the measurement count after a restart: no reset to zero, no duplicate", async () => {
    await withNamespace((ns) =>
      scenario(ns, async () => {
        const steps = [{ replicas: 1, analysis: gate(ns) }, { replicas: "100%" }];
        const { monitor } = await startRelease(ns, steps, { metric: { count: 6, interval: "2s" } });
        const counts: number[] = [];
        try {
          await waitForRollout(ns, NAME, "2 measurements taken", (s) => {
            counts.push(firstMetric(s)?.count ?? 0);
            return (firstMetric(s)?.count ?? 0) >= 2;
          });
          await lab.controller.kill("SIGKILL");
          await sleep(3000);
          lab.controller = await startController("analysis-tests-restarted");
          const healthy = await waitForRollout(ns, NAME, "Healthy after the restart", (s) => {
            const m = firstMetric(s);
            if (m !== undefined) counts.push(m.count ?? 0);
            return s.phase === "Healthy";
          });
          const observed = counts.filter((c) => c > 0);
          for (let i = 1; i < observed.length; i++)
            expect(observed[i]).toBeGreaterThanOrEqual(observed[i - 1] ?? 0);
          const m = firstMetric(healthy.status ?? {});
          expect(m).toMatchObject({ count: 6, successful: 6 });
          const run = (
            healthy.status?.workflow as { run?: { steps?: Record<string, { outputs?: { gate?: unknown } }> } }
          )?.run;
          const persisted = run?.steps?.["step-1.analysis.1"]?.outputs?.gate as {
            metrics: { measurements: { index: number; at: number }[] }[];
          };
          const measurements = persisted.metrics[0]?.measurements ?? [];
          expect(measurements.map((x) => x.index)).toEqual([1, 2, 3, 4, 5, 6]);
          for (let i = 1; i < measurements.length; i++) {
            expect((measurements[i]?.at ?? 0) - (measurements[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
          }
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);
});
