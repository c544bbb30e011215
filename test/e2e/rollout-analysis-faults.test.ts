// Metric gates under the conditions that go wrong in production, through the real controller (child process)
// and a real Prometheus on loopback: a failing gate behind nginx traffic routing (traffic back to stable
// before any pod), Prometheus stopped mid-gate (a pause, not a rollback; or a pass when it returns in time),
// and an argument trying to rewrite the query.
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import type { RolloutStatus } from "../../src/api/rollout-status.ts";
import { withNamespace } from "./lib/index.ts";
import { nginxIngress, routedService } from "./lib/manifests.ts";
import {
  BAD,
  gate,
  metricOfStep,
  metricTemplate,
  NAME,
  PARTITION_DEPLOYMENT,
  scenario,
  startLab,
  startRelease,
  type AnalysisLab,
} from "./rollout/analysis-lab.ts";
import { annotate, waitForRollout } from "./rollout/fixtures.ts";
import { at, podsSettled } from "./rollout/scenario.ts";
import { TrafficTimeline, type Entry } from "./traffic/timeline.ts";

const N = PARTITION_DEPLOYMENT.replicas;

let lab: AnalysisLab;

beforeAll(async () => {
  lab = await startLab("analysis-faults", { queryLog: true });
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

/** Every phase the Rollout went through while `check` was polled, and whether it holds now. */
function recordingPhases(phases: Set<string>, check: (s: RolloutStatus) => boolean) {
  return (s: RolloutStatus) => {
    if (s.phase !== undefined) phases.add(s.phase);
    return check(s);
  };
}

describe("a failing gate behind nginx traffic routing", () => {
  const routed = (ns: string): KubernetesObject[] => [
    routedService(NAME, ns) as KubernetesObject,
    nginxIngress(NAME, ns) as KubernetesObject,
  ];
  const weight = (w: string) => (e: Entry) =>
    e.kind === "ingress" && e.name === `${NAME}-canary` && !e.deleted && e.weight === w;

  it("fails at step 2 (50% traffic): the canary Ingress weight is back to 0 before any canary pod is removed, and the release is Aborted with metric, value and condition", async () => {
    await withNamespace((ns) =>
      scenario(lab, ns, async () => {
        const timeline = new TrafficTimeline(ns);
        await timeline.start();
        const steps = [
          { replicas: 1, traffic: "10%" },
          { replicas: "50%", traffic: "50%", analysis: gate(ns) },
          { replicas: "100%" },
        ];
        const { monitor, canary } = await startRelease(lab, ns, steps, {
          traffic: BAD,
          objects: routed(ns),
          trafficRouting: { service: NAME, gracePeriodSeconds: 1, nginx: { ingress: NAME } },
        });
        try {
          const aborted = await waitForRollout(ns, NAME, "Aborted by the step-2 gate", at.aborted);
          expect(aborted.status?.message).toMatch(
            /aborted at step 2\/3: .*analysis failed: metric "error-rate" \(template error-rate\): value 0\.4\d*: successCondition "result\[0\] <= 0\.05" is false/,
          );
          const m = metricOfStep(aborted.status ?? {}, 2);
          expect(m).toMatchObject({ phase: "Failed", failed: 1 });
          expect(aborted.status?.history?.at(-1)).toMatchObject({ revision: canary, outcome: "Aborted" });
          await podsSettled(monitor, canary, 0, N);

          // The order the API server recorded: weight 50 (step 2), then 0, then the first canary pod goes.
          const fifty = timeline.first(weight("50"));
          expect(fifty, `weight 50 written\n${timeline.describe()}`).toBeDefined();
          const after = (e: Entry) => e.rv > (fifty?.rv ?? Infinity);
          const zero = timeline.entries().find((e) => weight("0")(e) && after(e));
          const scaleDown = timeline
            .entries()
            .find((e) => e.kind === "replicaset" && e.hash === canary && e.replicas < N / 2 && after(e));
          const podGone = timeline.entries().find((e) => e.kind === "pod" && e.hash === canary && e.deleted);
          expect(zero, `weight back to 0\n${timeline.describe()}`).toBeDefined();
          expect(scaleDown, "the canary ReplicaSet scaled down").toBeDefined();
          expect(podGone, "a canary pod deleted").toBeDefined();
          expect(zero?.rv).toBeLessThan(scaleDown?.rv ?? 0);
          expect(zero?.rv).toBeLessThan(podGone?.rv ?? 0);
          // Pods → traffic → grace → analysis: the gate measured only after the weight-50 write was seen.
          expect(Date.parse(m?.measurements?.[0]?.at ?? "")).toBeGreaterThan(fifty?.at ?? Infinity);
          expect(monitor.violations).toEqual([]);
        } finally {
          timeline.stop();
          monitor.stop();
        }
      }),
    );
  }, 180_000);
});

describe("Prometheus stopped mid-gate", () => {
  const steps = (ns: string) => [{ replicas: 1, analysis: gate(ns) }, { replicas: "100%" }];

  it("errors are counted and, with the default onError: Inconclusive, the release pauses (AnalysisInconclusive) with the healthy canary kept; approving continues", async () => {
    await withNamespace((ns) =>
      scenario(lab, ns, async () => {
        const { monitor, canary } = await startRelease(lab, ns, steps(ns), { metric: { count: 20 } });
        try {
          await waitForRollout(ns, NAME, "a first successful measurement", (s) => {
            return (metricOfStep(s)?.successful ?? 0) >= 1;
          });
          await lab.prometheus.stop();
          const phases = new Set<string>();
          const paused = await waitForRollout(
            ns,
            NAME,
            "Paused by the outage",
            recordingPhases(phases, (s) => s.phase === "Paused"),
          );
          expect([...phases]).not.toContain("Aborted");
          const condition = paused.status?.conditions?.find((c) => c.type === "Paused");
          expect(condition).toMatchObject({ status: "True", reason: "AnalysisInconclusive" });
          expect(paused.status?.message).toContain(
            "5 errors in a row > consecutiveErrorLimit 4 (onError: Inconclusive)",
          );
          expect(paused.status?.message).toContain(`cannot reach Prometheus at ${lab.prometheus.url}`);
          const m = metricOfStep(paused.status ?? {});
          expect(m).toMatchObject({ phase: "Inconclusive", consecutiveErrors: 5, failed: 0 });
          expect(m?.errors).toBeGreaterThanOrEqual(5);
          expect(m?.successful).toBeGreaterThanOrEqual(1);
          // Not rolled back: the canary pod stays, nothing of this release is in history yet.
          await podsSettled(monitor, canary, 1, N - 1);
          expect(paused.status?.history?.some((h) => h.revision === canary)).not.toBe(true);

          await lab.prometheus.start();
          await annotate(ns, NAME, ANNOTATION_APPROVE, "1", "alice");
          const healthy = await waitForRollout(ns, NAME, "Healthy after the approval", at.healthy);
          expect(healthy.status?.history?.at(-1)).toMatchObject({ revision: canary, outcome: "Succeeded" });
          expect(monitor.violations).toEqual([]);
        } finally {
          monitor.stop();
          if (!lab.prometheus.running()) await lab.prometheus.start();
        }
      }),
    );
  }, 180_000);

  it("restarted before consecutiveErrorLimit (default 4) is exceeded: the errors are counted, the gate passes and the release completes", async () => {
    await withNamespace((ns) =>
      scenario(lab, ns, async () => {
        const { monitor, canary } = await startRelease(lab, ns, steps(ns), {
          metric: { count: 4, interval: "2s" },
        });
        const phases = new Set<string>();
        try {
          await waitForRollout(ns, NAME, "a first successful measurement", (s) => {
            return (metricOfStep(s)?.successful ?? 0) >= 1;
          });
          await lab.prometheus.stop();
          const erring = await waitForRollout(
            ns,
            NAME,
            "2 errors in a row",
            recordingPhases(phases, (s) => (metricOfStep(s)?.consecutiveErrors ?? 0) >= 2),
          );
          expect(metricOfStep(erring.status ?? {})?.phase).toBe("Running");
          await lab.prometheus.start();
          const healthy = await waitForRollout(
            ns,
            NAME,
            "Healthy after Prometheus came back",
            recordingPhases(phases, at.healthy),
          );
          expect([...phases]).not.toContain("Paused");
          expect([...phases]).not.toContain("Aborted");
          expect(healthy.status?.history?.at(-1)).toMatchObject({ revision: canary, outcome: "Succeeded" });
          const m = metricOfStep(healthy.status ?? {});
          expect(m).toMatchObject({ phase: "Successful", count: 4, successful: 4, consecutiveErrors: 0 });
          expect(m?.errors).toBeGreaterThanOrEqual(2);
          expect(m?.errors).toBeLessThanOrEqual(4);
          expect(m?.measurements?.map((x) => x.phase)).toContain("Error");
          expect(monitor.violations).toEqual([]);
        } finally {
          monitor.stop();
          if (!lab.prometheus.running()) await lab.prometheus.start();
        }
      }),
    );
  }, 180_000);
});

describe("query injection through a Rollout's argument", () => {
  /**
   * The canary's success rate per service, kept only for the service named by the argument. The argument
   * sits in the last selector at the top level, the one place where a naive substitution of
   * `"} or vector(1) #` yields a valid query: `(success rates and on(service) nothing) or vector(1)` = 1,
   * which would pass the gate. (Per service because every test's canary has the same pod-template-hash.)
   */
  const SUCCESS_RATE =
    'sum by (service) (rate(http_requests_total{pod_template_hash="{{canary.revision}}",status!~"5.."}[30s]))' +
    ' / sum by (service) (rate(http_requests_total{pod_template_hash="{{canary.revision}}"}[30s]))' +
    ' and on (service) http_requests_total{pod_template_hash="{{canary.revision}}",status="200",service="{{args.service}}"}';
  const render = (canary: string, service: string) =>
    SUCCESS_RATE.replaceAll("{{canary.revision}}", canary).replaceAll("{{args.service}}", service);

  it('an argument containing `"} or vector(1) #` cannot make a failing gate pass: Prometheus receives it as one label value and the release is Aborted', async () => {
    await withNamespace((ns) =>
      scenario(lab, ns, async () => {
        const evil = `${ns}"} or vector(1) #`;
        const template = metricTemplate(lab, ns, "success-rate", SUCCESS_RATE, {
          successCondition: "result[0] >= 0.95",
        });
        const steps = [{ replicas: 1, analysis: gate(evil, "success-rate") }, { replicas: "100%" }];
        // The canary's series carry the argument's exact text as their service label: 60% success.
        const { monitor, canary } = await startRelease(lab, ns, steps, {
          template,
          traffic: BAD,
          service: evil,
        });
        try {
          // Waits for either end, so an injection that worked fails here at once (Healthy), not by a timeout.
          const ended = await waitForRollout(
            ns,
            NAME,
            "Aborted by the gate (or Healthy if the argument rewrote the query)",
            (s) => at.aborted(s) || at.healthy(s),
          );
          expect(ended.status?.phase).toBe("Aborted");
          expect(ended.status?.message).toMatch(
            /analysis failed: metric "success-rate" \(template success-rate\): value 0\.6\d*: successCondition "result\[0\] >= 0\.95" is false/,
          );
          await podsSettled(monitor, canary, 0, N);

          // What Prometheus ran with this test's argument (the only queries naming this namespace): only the
          // escaped rendering, the argument inside the matcher.
          const escaped = render(canary, `${ns}\\"} or vector(1) #`);
          const received = (await lab.prometheus.loggedQueries()).filter((q) => q.includes(ns));
          expect(received.length).toBeGreaterThanOrEqual(1);
          expect(new Set(received)).toEqual(new Set([escaped]));
          const rows = await lab.prometheus.query(escaped);
          expect(rows.map((r) => r.labels)).toEqual([{ service: evil }]);
          expect(rows[0]?.value).toBeCloseTo(0.6, 2);
          // Control: the naive rendering of the same argument turns the query into `... or vector(1)`, 1.0.
          expect(await lab.prometheus.query(render(canary, evil))).toEqual([{ labels: {}, value: 1 }]);
        } finally {
          monitor.stop();
        }
      }),
    );
  }, 180_000);
});
