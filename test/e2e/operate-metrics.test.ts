// The operator's view of a real `slipway controller` child process: /metrics shows every SPEC §7 metric
// moving through a release (reconciles, the work queue, webhook admissions, the Rollout's phase and step,
// analysis measurements, the release's duration), /readyz follows informer sync and leader state, /healthz
// is the liveness probe.
import { randomBytes } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE, API_VERSION, KIND_ANALYSIS_TEMPLATE } from "../../src/api/names.ts";
import { SPEC_METRIC_NAMES } from "../../src/metrics/slipway-metrics.ts";
import { applyYaml, clients, done, notYet, waitFor, withNamespace } from "./lib/index.ts";
import { startPrometheus, type PrometheusServer } from "./lib/prometheus.ts";
import {
  health,
  impersonatingKubeconfig,
  metricsUrl,
  scrape,
  waitForReadyz,
  type Scrape,
} from "./operate/support.ts";
import { startController, startSlipway, tail, withController } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  installCrds,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { attach, NAME, PARTITION_DEPLOYMENT } from "./rollout/scenario.ts";

let prometheus: PrometheusServer;

beforeAll(async () => {
  await installCrds();
  // A real Prometheus answering a constant query: the gate measures for real, whatever the pods do.
  prometheus = await startPrometheus({ targets: [] });
}, 120_000);

afterAll(async () => {
  await deleteWebhookConfigurations();
  await prometheus?.close();
});

function alwaysGood(ns: string): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND_ANALYSIS_TEMPLATE,
    metadata: { name: "always-good", namespace: ns },
    spec: {
      metrics: [
        {
          name: "error-rate",
          provider: { prometheus: { address: prometheus.url, query: "vector(0.01)" } },
          interval: "1s",
          count: 2,
          successCondition: "result[0] <= 0.05",
        },
      ],
    },
  } as KubernetesObject;
}

const ROLLOUT = "rollout";
const MUTATE_WORKLOAD = "/mutate-workload";

/** How much each SPEC §7 counter grew from `before` to `after`. */
function growth(before: Scrape, after: Scrape, ns: string) {
  const delta = (name: string, labels: Record<string, string> = {}) =>
    after.sum(name, labels) - before.sum(name, labels);
  return {
    reconciles: delta("controller_runtime_reconcile_total", { controller: ROLLOUT }),
    reconcileTimes: delta("controller_runtime_reconcile_time_seconds_count", { controller: ROLLOUT }),
    queueAdds: delta("workqueue_adds_total", { name: ROLLOUT }),
    queueWaits: delta("workqueue_queue_duration_seconds_count", { name: ROLLOUT }),
    workloadAdmissions: delta("controller_runtime_webhook_requests_total", { webhook: MUTATE_WORKLOAD }),
    workloadLatencies: delta("controller_runtime_webhook_latency_seconds_count", {
      webhook: MUTATE_WORKLOAD,
    }),
    rolloutAdmissions: delta("controller_runtime_webhook_requests_total", { webhook: "/validate-rollout" }),
    goodMeasurements: delta("slipway_analysis_measurements_total", { result: "Successful" }),
    succeeded: delta("slipway_release_duration_seconds_count", { outcome: "Succeeded" }),
    infoSeries: after.series("slipway_rollout_info", { namespace: ns, rollout: NAME }),
  };
}

describe("a real controller's /metrics during a release", () => {
  it("every SPEC §7 metric is served and moves as the release progresses, pauses and completes", async () => {
    await withNamespace((ns) =>
      withController("operate-metrics", ns, async (controller) => {
        const url = metricsUrl(controller);
        const ready = await health(url);
        expect(ready.status).toBe(200);
        expect(ready.body).toMatch(/^\[\+\]informers ok: (\d+)\/\1 synced$/m);
        expect(ready.body).toMatch(/^\[\+\]leader ok: leading$/m);
        expect(ready.body).toMatch(/^\[\+\]webhook ok: https:\/\/127\.0\.0\.1:\d+$/m);
        expect(await health(url, "healthz")).toEqual({
          status: 200,
          body: "[+]ping ok\nhealthz check passed\n",
        });

        await applyYaml([alwaysGood(ns)]);
        const { monitor } = await attach(ns, PARTITION_DEPLOYMENT, {
          steps: [
            { replicas: 1, analysis: { templates: [{ name: "always-good" }] } },
            { replicas: "50%", pause: {} },
            { replicas: "100%" },
          ],
        });
        try {
          // The info series is set right after the reconcile that wrote the status: wait for it, not the status.
          const attached = await waitFor("the info series of the attached Rollout", async () => {
            const s = await scrape(url);
            const info = s.series("slipway_rollout_info", { namespace: ns, rollout: NAME });
            return info.length === 1 && info[0]?.labels["phase"] === "Healthy" ? done(s) : notYet(info);
          });
          for (const name of SPEC_METRIC_NAMES) expect(attached.has(name), name).toBe(true);
          expect(attached.series("workqueue_depth", { name: ROLLOUT })).toHaveLength(1);
          expect(attached.series("slipway_rollout_info", { namespace: ns, rollout: NAME })[0]?.value).toBe(1);

          await setTemplate(ns, "Deployment", NAME, "example/web:v2");
          const paused = await waitForRollout(
            ns,
            NAME,
            "paused for approval at step 2",
            (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
          );
          const atPause = await waitFor("the info series to show the pause", async () => {
            const s = await scrape(url);
            const info = s.series("slipway_rollout_info", { namespace: ns, rollout: NAME });
            return info.length === 1 && info[0]?.labels["step"] === "2" ? done(s) : notYet(info);
          });
          const g1 = growth(attached, atPause, ns);
          expect(g1.reconciles).toBeGreaterThan(0);
          expect(g1.reconcileTimes).toBeGreaterThan(0);
          expect(g1.queueAdds).toBeGreaterThan(0);
          expect(g1.queueWaits).toBeGreaterThan(0);
          // The image change went through the webhook (held), and so did the controller's own patches.
          expect(g1.workloadAdmissions).toBeGreaterThanOrEqual(1);
          expect(g1.workloadLatencies).toBeGreaterThanOrEqual(1);
          expect(atPause.sum("controller_runtime_webhook_requests_total", { code: "500" })).toBe(0);
          expect(g1.goodMeasurements).toBeGreaterThanOrEqual(2);
          expect(g1.succeeded).toBe(0);
          expect(g1.infoSeries).toEqual([
            {
              name: "slipway_rollout_info",
              labels: { namespace: ns, rollout: NAME, phase: paused.status?.phase ?? "", step: "2" },
              value: 1,
            },
          ]);

          await annotate(ns, NAME, ANNOTATION_APPROVE, "2");
          const healthy = await waitForRollout(
            ns,
            NAME,
            "Healthy after the release",
            (s) => s.phase === "Healthy",
          );
          const after = await waitFor("the release's duration to be observed", async () => {
            const s = await scrape(url);
            return s.sum("slipway_release_duration_seconds_count", { outcome: "Succeeded" }) === 1
              ? done(s)
              : notYet(s.series("slipway_release_duration_seconds_count"));
          });
          const g2 = growth(atPause, after, ns);
          expect(g2.reconciles).toBeGreaterThan(0);
          expect(g2.rolloutAdmissions).toBeGreaterThanOrEqual(1); // the approval annotation
          expect(g2.succeeded).toBe(1);
          expect(g2.infoSeries).toEqual([
            {
              name: "slipway_rollout_info",
              labels: {
                namespace: ns,
                rollout: NAME,
                phase: "Healthy",
                step: String(healthy.status?.currentStepIndex ?? 0),
              },
              value: 1,
            },
          ]);
          expect(after.sum("slipway_release_duration_seconds_sum", { outcome: "Succeeded" })).toBeGreaterThan(
            0,
          );
          expect((await health(url)).status).toBe(200);
        } finally {
          monitor.stop();
        }
      }),
    );
  });
});

describe("a real controller's /readyz and /healthz", () => {
  it("is 503 while an informer cannot list (RBAC), and 200 once it has, with /healthz live throughout", async () => {
    const user = `operate-readiness-${randomBytes(3).toString("hex")}`;
    const { rbac } = clients();
    // Everything the controller reads in its namespace except ClusterAnalysisTemplates (CloneSets too: their
    // informer exists once an earlier test installed OpenKruise's CRDs).
    const role = {
      metadata: { name: user },
      rules: [
        { apiGroups: ["", "apps", "apps.kruise.io", "events.k8s.io"], resources: ["*"], verbs: ["*"] },
        {
          apiGroups: ["rollouts.slipway.dev"],
          resources: ["rollouts", "rollouts/status", "analysistemplates"],
          verbs: ["*"],
        },
      ],
    };
    const binding = (name: string) => ({
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    });
    const templates = `${user}-templates`;
    await rbac.createClusterRole({ body: role });
    await rbac.createClusterRoleBinding({ body: binding(user) });
    try {
      await withNamespace(async (ns) => {
        const proc = await startSlipway(
          "operate-readiness",
          "controller",
          [
            "--kubeconfig",
            impersonatingKubeconfig(user),
            "--namespace",
            ns,
            "--no-webhook",
            "--metrics-port",
            "0",
          ],
          (line) => line.msg === "metrics serving",
        );
        try {
          const url = metricsUrl(proc);
          await waitFor("the ClusterAnalysisTemplate LIST to be refused", () =>
            proc.lines().some((l) => /listing clusteranalysistemplates.* failed/.test(l.msg))
              ? done(undefined)
              : notYet(tail(proc, 5)),
          );
          const refused = await health(url);
          expect(refused.status).toBe(503);
          expect(refused.body).toMatch(/^\[-\]informers failed: (\d+)\/(?!\1)\d+ synced$/m);
          expect(refused.body).toMatch(/readyz check failed\n$/);
          expect((await health(url, "healthz")).status).toBe(200);

          await rbac.createClusterRole({
            body: {
              metadata: { name: templates },
              rules: [
                {
                  apiGroups: ["rollouts.slipway.dev"],
                  resources: ["clusteranalysistemplates"],
                  verbs: ["get", "list", "watch"],
                },
              ],
            },
          });
          await rbac.createClusterRoleBinding({ body: binding(templates) });
          const ready = await waitForReadyz(url, 200, /^\[\+\]informers ok: (\d+)\/\1 synced$/m);
          expect(ready.body).toMatch(/^\[\+\]leader ok: leading$/m);
          expect(ready.body).not.toMatch(/webhook/);
        } catch (err) {
          throw new Error(`${(err as Error).message}\n${tail(proc)}`, { cause: err });
        } finally {
          await proc.kill("SIGTERM");
        }
      });
    } finally {
      for (const name of [user, templates]) {
        await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
        await rbac.deleteClusterRole({ name }).catch(() => undefined);
      }
    }
  });

  it("with leader election both replicas are Ready: one leading, one a standby that takes over", async () => {
    await withNamespace(async (ns) => {
      const id = `operate-leader-${randomBytes(3).toString("hex")}`;
      const args = ["--no-webhook", "--leader-elect", "--leader-election-id", id, "--slipway-namespace", ns];
      const first = await startController("operate-leader-a", ns, args);
      const second = await startController("operate-leader-b", ns, args);
      try {
        const role = async (url: string) => {
          const h = await health(url);
          const leading = (await scrape(url)).sum("leader_election_master_status", { name: id });
          return { status: h.status, state: /\[\+\]leader ok: (leading|standby)/.exec(h.body)?.[1], leading };
        };
        const [a, b] = [metricsUrl(first), metricsUrl(second)];
        const roles = await waitFor("one replica leading, the other standing by", async () => {
          const both = [await role(a), await role(b)];
          const states = both.map((r) => r.state).sort();
          return states[0] === "leading" && states[1] === "standby" ? done(both) : notYet(both);
        });
        // A standby is Ready: a Deployment rolling the controller (maxUnavailable 0) would stall otherwise.
        expect(roles.map((r) => r.status)).toEqual([200, 200]);
        expect(roles.map((r) => (r.state === "leading" ? r.leading : 1 - r.leading))).toEqual([1, 1]);

        const [leader, standby, standbyUrl] =
          roles[0]?.state === "leading" ? [first, second, b] : [second, first, a];
        await leader.kill("SIGTERM"); // releases the Lease on the way out
        const took = await waitFor("the standby to take over", async () => {
          const r = await role(standbyUrl);
          return r.state === "leading" && r.leading === 1 ? done(r) : notYet(r);
        });
        expect(took.status).toBe(200);
        expect(standby.exited).toBe(false);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${tail(first)}\n${tail(second)}`, { cause: err });
      } finally {
        await first.kill("SIGTERM");
        await second.kill("SIGTERM");
      }
    });
  });
});
