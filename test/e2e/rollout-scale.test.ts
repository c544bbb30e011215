// SPEC §5.2 "N read at each reconcile, so HPA changes are followed", also while a step waits: a 10-replica
// Deployment (partition style) paused for approval at 50% (5 canary + 5 stable) is scaled to 4, then to 8,
// as an HPA or `kubectl scale` would; the canary and stable ReplicaSets follow the step's batch at each new N
// within the original bounds (25%/25%), the pause keeps waiting, and the approval completes the release at 8.
// A real controller and webhook (child process) against the local control plane.
import type { V1ReplicaSet } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slipway } from "./cli/support.ts";
import { clients, done, mergePatch, notYet, statusCode, waitFor } from "./lib/index.ts";
import {
  deleteWebhookConfigurations,
  getRollout,
  installCrds,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import type { ReleaseMonitor } from "./rollout/release-monitor.ts";
import {
  at,
  CANARY_DEPLOYMENT,
  inScenario,
  NAME,
  PARTITION_DEPLOYMENT,
  podsSettled,
  STATEFULSET,
} from "./rollout/scenario.ts";

beforeAll(installCrds, 120_000);
afterAll(deleteWebhookConfigurations);

const STEPS = [{ replicas: "50%", pause: {} }, { replicas: "100%" }];
const pausedAtStep1 = (s: { currentStepIndex?: number; currentStepState?: string }) =>
  s.currentStepIndex === 1 && s.currentStepState === "Paused";

/** `kubectl scale deploy web --replicas=n` (retried while the webhook restarts). */
async function scaleTo(ns: string, replicas: number): Promise<void> {
  await waitFor(`Deployment ${ns}/${NAME} scaled to ${replicas}`, async () => {
    try {
      await clients().apps.patchNamespacedDeploymentScale(
        { namespace: ns, name: NAME, body: { spec: { replicas } } },
        mergePatch,
      );
      return done(undefined);
    } catch (err) {
      const code = statusCode(err);
      if (code !== undefined && code < 500) throw err;
      return notYet(err);
    }
  });
}

/** `kubectl scale sts web --replicas=n`. */
async function scaleStatefulSetTo(ns: string, replicas: number): Promise<void> {
  await clients().apps.patchNamespacedStatefulSetScale(
    { namespace: ns, name: NAME, body: { spec: { replicas } } },
    mergePatch,
  );
}

/** The StatefulSet's partition settles at `partition` and its pods at `canary` + `stable`, all ready. */
async function statefulSetAt(
  ns: string,
  monitor: ReleaseMonitor,
  revisions: { canary: string; stable: string },
  expected: { partition: number; canary: number; stable: number },
): Promise<void> {
  await waitFor(
    `partition ${expected.partition}, ${expected.canary} canary + ${expected.stable} stable pods`,
    async () => {
      const sts = await clients().apps.readNamespacedStatefulSet({ namespace: ns, name: NAME });
      const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition;
      const pods = monitor.counts();
      const podsOf = (rev: string) => pods.get(rev) ?? { total: 0, ready: 0 };
      const ok =
        partition === expected.partition &&
        podsOf(revisions.canary).ready === expected.canary &&
        podsOf(revisions.canary).total === expected.canary &&
        podsOf(revisions.stable).ready === expected.stable &&
        podsOf(revisions.stable).total === expected.stable;
      return ok ? done(undefined) : notYet({ partition, pods: Object.fromEntries(pods) });
    },
  );
}

/** spec.replicas and available pods of the Deployment's ReplicaSet for `revision` (0/0 when there is none). */
function replicaSetOf(all: readonly V1ReplicaSet[], revision: string): { spec: number; available: number } {
  const rs = all.find((r) => r.metadata?.labels?.["pod-template-hash"] === revision);
  return { spec: rs?.spec?.replicas ?? 0, available: rs?.status?.availableReplicas ?? 0 };
}

/**
 * The real ReplicaSets and pods settle at `canary` + `stable`: specs, available pods, and the pods the monitor
 * watches, all ready and none terminating.
 */
async function settledAt(
  ns: string,
  monitor: ReleaseMonitor,
  revisions: { canary: string; stable: string },
  canary: number,
  stable: number,
): Promise<void> {
  await waitFor(`ReplicaSets and pods at ${canary} canary + ${stable} stable`, async () => {
    const list = await clients().apps.listNamespacedReplicaSet({ namespace: ns });
    const c = replicaSetOf(list.items, revisions.canary);
    const s = replicaSetOf(list.items, revisions.stable);
    const pods = monitor.counts();
    const podsOf = (rev: string) => pods.get(rev) ?? { total: 0, ready: 0 };
    const others = [...pods.keys()].filter((rev) => rev !== revisions.canary && rev !== revisions.stable);
    const ok =
      c.spec === canary &&
      c.available === canary &&
      s.spec === stable &&
      s.available === stable &&
      podsOf(revisions.canary).total === canary &&
      podsOf(revisions.canary).ready === canary &&
      podsOf(revisions.stable).total === stable &&
      podsOf(revisions.stable).ready === stable &&
      others.length === 0;
    return ok ? done(undefined) : notYet({ canary: c, stable: s, pods: Object.fromEntries(pods) });
  });
}

describe("scaling the workload during a release", () => {
  it("a Deployment scaled 10→4→8 while step 1 waits for approval follows the batch at each N; approve completes at 8", async () => {
    await inScenario("scale", PARTITION_DEPLOYMENT, { steps: STEPS }, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, "example/web:v2");
      const paused = await waitForRollout(ns, NAME, "paused at step 1", pausedAtStep1);
      const revisions = {
        canary: paused.status?.canaryRevision ?? "",
        stable: paused.status?.stableRevision ?? "",
      };
      await settledAt(ns, monitor, revisions, 5, 5);
      const approvedBefore = paused.status?.steps?.[0]?.approvedBy;

      // 10 → 4: original 25%/25% at N=4 is maxSurge 1, maxUnavailable 1; the 10 pods present may remain
      // while they drain, but ready pods never go below 4 − 1.
      monitor.setBounds({ replicas: 4, maxSurge: 6, maxUnavailable: 1 });
      await scaleTo(ns, 4);
      await settledAt(ns, monitor, revisions, 2, 2);
      let status = (await getRollout(ns, NAME))?.status;
      expect(status?.currentStepIndex).toBe(1);
      expect(status?.currentStepState).toBe("Paused");
      const counted = await waitForRollout(
        ns,
        NAME,
        "status counting 2 canary pods",
        (s) => s.canaryReplicas === 2 && s.stableReplicas === 2,
      );
      expect(counted.status?.steps?.[0]?.approvedBy).toBe(approvedBefore);
      const got = await slipway(["get", NAME, "-n", ns]);
      expect(got.code).toBe(0);
      expect(got.out).toContain("2 canary, 2 stable, 2 ready");
      expect(got.out).not.toContain("target");

      // 4 → 8: at N=8, maxSurge 2 (≤ 10 pods); ready pods never below what N=4 allowed (3) while new pods start.
      monitor.setBounds({ replicas: 4, maxSurge: 6, maxUnavailable: 1 });
      await scaleTo(ns, 8);
      await settledAt(ns, monitor, revisions, 4, 4);
      status = (await getRollout(ns, NAME))?.status;
      expect([status?.currentStepIndex, status?.currentStepState]).toEqual([1, "Paused"]);

      // From here N = 8 with 25%/25%: maxSurge 2, maxUnavailable 2.
      monitor.setBounds({ replicas: 8, maxSurge: 2, maxUnavailable: 2 });
      const approved = await slipway(["approve", NAME, "-n", ns], { as: "alice" });
      expect([approved.code, approved.err]).toEqual([0, ""]);
      const healthy = await waitForRollout(ns, NAME, "Healthy", at.healthy);
      expect(healthy.status?.history?.at(-1)?.outcome).toBe("Succeeded");
      await settledAt(ns, monitor, revisions, 8, 0);
      expect(monitor.violations).toEqual([]);
      expect(monitor.maxRevisionsAtOnce).toBe(2);
    });
  });

  it("a StatefulSet scaled 5→2→4 while step 1 waits for approval gets partition N − batch at each N", async () => {
    await inScenario(
      "scale-sts",
      STATEFULSET,
      { kind: "StatefulSet", steps: STEPS },
      async ({ ns, monitor }) => {
        await setTemplate(ns, "StatefulSet", NAME, "example/web:v2");
        const paused = await waitForRollout(ns, NAME, "paused at step 1", pausedAtStep1);
        const revisions = {
          canary: paused.status?.canaryRevision ?? "",
          stable: paused.status?.stableRevision ?? "",
        };
        // N=5, 50%: 3 canary pods (ordinals 2-4), partition 2.
        await statefulSetAt(ns, monitor, revisions, { partition: 2, canary: 3, stable: 2 });

        // 5 → 2: ordinals 2-4 go, both left are stable; the batch at N=2 is 1 pod: partition 1.
        monitor.setBounds({ replicas: 2, maxSurge: 3, maxUnavailable: 1 });
        await scaleStatefulSetTo(ns, 2);
        await statefulSetAt(ns, monitor, revisions, { partition: 1, canary: 1, stable: 1 });
        let status = (await getRollout(ns, NAME))?.status;
        expect([status?.currentStepIndex, status?.currentStepState]).toEqual([1, "Paused"]);

        // 2 → 4: the batch is 2 pods, partition 2; ordinal 1 keeps the canary revision it already runs (a
        // StatefulSet never sends a pod below the partition back), so 3 canary pods until approval.
        monitor.setBounds({ replicas: 2, maxSurge: 2, maxUnavailable: 1 });
        await scaleStatefulSetTo(ns, 4);
        await statefulSetAt(ns, monitor, revisions, { partition: 2, canary: 3, stable: 1 });
        status = (await getRollout(ns, NAME))?.status;
        expect([status?.currentStepIndex, status?.currentStepState]).toEqual([1, "Paused"]);

        monitor.setBounds({ replicas: 4, maxSurge: 0, maxUnavailable: 1 });
        const approved = await slipway(["approve", NAME, "-n", ns], { as: "alice" });
        expect([approved.code, approved.err]).toEqual([0, ""]);
        await waitForRollout(ns, NAME, "Healthy", at.healthy);
        await statefulSetAt(ns, monitor, revisions, { partition: 0, canary: 4, stable: 0 });
        expect(monitor.violations).toEqual([]);
      },
    );
  });

  it("canary-deployment style: the canary Deployment follows the batch while the original follows N natively", async () => {
    const shape = { deploymentStyle: "canary-deployment", steps: STEPS } as const;
    await inScenario("scale-canary", CANARY_DEPLOYMENT, shape, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, "example/web:v2");
      const paused = await waitForRollout(ns, NAME, "paused at step 1", pausedAtStep1);
      const canary = paused.status?.canaryRevision ?? "";
      await podsSettled(monitor, canary, 5, 10);

      // By design up to 2N + maxSurge pods; ready pods never below N − maxUnavailable of the smaller N (4 − 1).
      monitor.setBounds({ replicas: 4, maxSurge: 20, maxUnavailable: 1 });
      await scaleTo(ns, 4);
      await podsSettled(monitor, canary, 2, 4);
      await scaleTo(ns, 8);
      await podsSettled(monitor, canary, 4, 8);
      const status = (await getRollout(ns, NAME))?.status;
      expect([status?.currentStepIndex, status?.currentStepState]).toEqual([1, "Paused"]);

      const approved = await slipway(["approve", NAME, "-n", ns], { as: "alice" });
      expect([approved.code, approved.err]).toEqual([0, ""]);
      await waitForRollout(ns, NAME, "Healthy", at.healthy);
      await waitFor("8 pods, all ready on the new revision", () => {
        const counts = [...monitor.counts()];
        const only = counts[0]?.[1];
        return counts.length === 1 && only?.total === 8 && only.ready === 8
          ? done(undefined)
          : notYet(Object.fromEntries(counts));
      });
      expect(monitor.violations).toEqual([]);
    });
  });
});
