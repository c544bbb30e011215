import type { V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE, LABEL_MANAGED_BY } from "../api/names.ts";
import { observeDeploymentPartition } from "./deployment-partition.ts";
import { templatesEqualIgnoringHash } from "./pod-template.ts";
import { deployment, podsOf, replicaSet, T0, template, type DeploymentOptions } from "./testing/fixtures.ts";
import type { Write } from "./types.ts";

const ORIGINAL = {
  paused: false,
  strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
  progressDeadlineSeconds: 600,
};

/** A Deployment held by the webhook and Slipway: paused, Recreate, original saved, stable = "stable1". */
function held(options: DeploymentOptions = {}): V1Deployment {
  return deployment({ recreate: true, original: ORIGINAL, stableRevision: "stable1", ...options });
}

function observe(d: V1Deployment, replicaSets: V1ReplicaSet[], pods: V1Pod[], now = T0) {
  return observeDeploymentPartition({ deployment: d, replicaSets, pods }, { now: new Date(now) });
}

function scaleTargets(writes: readonly Write[]): string[] {
  return writes.map((w) =>
    w.type === "create"
      ? `create ${w.target.name}`
      : `${w.target.name}→${JSON.stringify(w.type === "patch" && w.patch)}`,
  );
}

describe("observing a partition-style Deployment", () => {
  it("reports revisions, hold and pods before the canary ReplicaSet exists", () => {
    const d = held();
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const { snapshot } = observe(d, [stable], podsOf(stable, 10, 10));
    expect(snapshot).toMatchObject({
      kind: "Deployment",
      style: "partition",
      replicas: 10,
      stableRevision: "stable1",
      inRelease: true,
      rolledBack: false,
      held: true,
      observed: true,
      stable: { pods: 10, ready: 10, available: 10 },
      canary: { pods: 0, ready: 0, available: 0 },
      problem: undefined,
    });
    expect(snapshot.canaryRevision).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(snapshot.revisions.map((r) => [r.role, r.revision, r.desired])).toEqual([
      ["canary", snapshot.canaryRevision, undefined],
      ["stable", "stable1", 10],
    ]);
  });

  it("finds the canary ReplicaSet by template, whatever its hash label says (like the Deployment controller)", () => {
    const d = held();
    const stable = replicaSet(d, "stable1", "web:v1", 7, 1);
    const canary = replicaSet(d, "fromctrl", "web:v2", 3, 2, T0 + 1000);
    const { snapshot } = observe(d, [stable, canary], [...podsOf(stable, 7, 7), ...podsOf(canary, 3, 2)]);
    expect(snapshot.canaryRevision).toBe("fromctrl");
    expect(snapshot.canary).toEqual({ pods: 3, ready: 2, available: 2 });
  });

  it("without a release record, the newest old ReplicaSet with pods is stable", () => {
    const d = deployment({ recreate: true, original: ORIGINAL });
    const older = replicaSet(d, "older", "web:v0", 0, 1, T0 - 5000);
    const stable = replicaSet(d, "stable1", "web:v1", 10, 4);
    expect(observe(d, [older, stable], podsOf(stable, 10, 10)).snapshot.stableRevision).toBe("stable1");
  });

  it("treats an empty stableRevision in the release record (the webhook could not tell) as no record", () => {
    const d = held({ stableRevision: "" });
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const observed = observe(d, [stable], podsOf(stable, 10, 10));
    expect(observed.snapshot.stableRevision).toBe("stable1");
    expect(observed.planBatch(1, 0).blocked).toBeUndefined();
  });

  it("at the last step, with no stable named by the webhook, keeps the stable the controller recorded", () => {
    const d = held({ stableRevision: "" });
    const stable = replicaSet(d, "stable1", "web:v1", 0, 1);
    const canary = replicaSet(d, "canary1", "web:v2", 10, 2, T0 + 1000);
    const objects = { deployment: d, replicaSets: [stable, canary], pods: podsOf(canary, 10, 10) };
    const inferred = observeDeploymentPartition(objects, { now: new Date(T0) }).snapshot;
    // Inferred from pods alone, a finished last step looks like "template is stable" (a rollback).
    expect(inferred.rolledBack).toBe(true);
    const recorded = observeDeploymentPartition(objects, { now: new Date(T0), stableRevision: "stable1" });
    expect(recorded.snapshot).toMatchObject({
      stableRevision: "stable1",
      inRelease: true,
      rolledBack: false,
    });
    expect(recorded.planBatch(10, 0).ready).toBe(true);
  });

  it("reads the original the webhook writes (with its kind/version/plural keys)", () => {
    const d = held({ original: { kind: "Deployment", version: "v1", plural: "deployments", ...ORIGINAL } });
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const { snapshot } = observe(d, [stable], podsOf(stable, 10, 10));
    expect(snapshot.problem).toBeUndefined();
    expect(snapshot.original).toMatchObject({ paused: false, strategy: ORIGINAL.strategy });
  });

  it("reports a malformed original as a problem that blocks the batch", () => {
    const d = held();
    d.metadata!.annotations![ANNOTATION_ORIGINAL] = "{";
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const observed = observe(d, [stable], podsOf(stable, 10, 10));
    expect(observed.snapshot.problem).toContain("not valid JSON");
    expect(observed.planBatch(1, 0)).toMatchObject({
      writes: [],
      ready: false,
      blocked: observed.snapshot.problem,
    });
  });
});

describe("planBatch", () => {
  it("creates the canary ReplicaSet exactly as the Deployment controller would, so it is adopted", () => {
    const d = held({ replicas: 10, minReadySeconds: 7 });
    d.metadata!.annotations!["team"] = "payments";
    d.metadata!.annotations!["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
    const stable = replicaSet(d, "stable1", "web:v1", 10, 3);
    const plan = observe(d, [stable], podsOf(stable, 10, 10)).planBatch(1, 0);
    const create = plan.writes[0];
    expect(create?.type).toBe("create");
    if (create?.type !== "create") return;
    const rs = create.object as V1ReplicaSet;
    const hash = rs.metadata!.labels!["pod-template-hash"]!;
    expect(rs.metadata!.name).toBe(`web-${hash}`);
    expect(rs.metadata!.labels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs.spec!.selector).toEqual({ matchLabels: { app: "web", "pod-template-hash": hash } });
    expect(rs.spec!.template!.metadata!.labels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(templatesEqualIgnoringHash(rs.spec!.template, d.spec!.template)).toBe(true);
    expect(rs.spec!.minReadySeconds).toBe(7);
    expect(rs.spec!.replicas).toBe(1);
    expect(rs.metadata!.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        uid: "uid-deploy-web",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(rs.metadata!.annotations).toMatchObject({
      team: "payments",
      "deployment.kubernetes.io/revision": "4",
      "deployment.kubernetes.io/desired-replicas": "10",
      "deployment.kubernetes.io/max-replicas": "10",
    });
    expect(rs.metadata!.annotations).not.toHaveProperty("kubectl.kubernetes.io/last-applied-configuration");
    // Surge room is 3 (25% of 10, rounded up), but the batch is 1; maxUnavailable 2 lets stable shrink at once.
    expect(scaleTargets(plan.writes)).toEqual([`create web-${hash}`, `web-stable1→{"spec":{"replicas":9}}`]);
  });

  it("guards a ReplicaSet scale by its uid and replicas, not by the resourceVersion its status bumps", () => {
    const d = held({ replicas: 10 });
    const stable = replicaSet(d, "stable1", "web:v1", 10, 3);
    const plan = observe(d, [stable], podsOf(stable, 10, 10)).planBatch(1, 0);
    const scale = plan.writes.find((w) => w.type === "patch");
    expect(scale).toMatchObject({
      target: { kind: "ReplicaSet", name: "web-stable1" },
      patch: { spec: { replicas: 9 } },
      unchanged: { "/metadata/uid": stable.metadata!.uid, "/spec/replicas": 10 },
    });
  });

  it("re-holds a Deployment a user unpaused before moving any pod, keeping the saved original", () => {
    const d = held({ paused: false });
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const plan = observe(d, [stable], podsOf(stable, 10, 10)).planBatch(3, 0);
    expect(plan.writes).toEqual([
      {
        type: "patch",
        target: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
        patch: { spec: { paused: true, strategy: { type: "Recreate", rollingUpdate: null } } },
        resourceVersion: "100",
        reason: "hold Deployment web: paused, strategy Recreate",
      },
    ]);
    expect(plan.ready).toBe(false);
  });

  it("saves the original in the same write when the webhook has not (so Recreate never exists without it)", () => {
    const d = deployment({ paused: true, maxSurge: 1, maxUnavailable: 0, stableRevision: "stable1" });
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const [write] = observe(d, [stable], podsOf(stable, 10, 10)).planHold(0).writes;
    expect(write?.type === "patch" && write.patch).toEqual({
      spec: { paused: true, strategy: { type: "Recreate", rollingUpdate: null } },
      metadata: {
        annotations: {
          [ANNOTATION_ORIGINAL]: JSON.stringify({
            kind: "Deployment",
            paused: true,
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            progressDeadlineSeconds: 600,
          }),
        },
      },
    });
  });

  it("waits until the Deployment controller has observed the hold", () => {
    const d = held();
    d.status = { observedGeneration: 1 };
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    expect(observe(d, [stable], podsOf(stable, 10, 10)).planBatch(3, 0)).toMatchObject({
      writes: [],
      ready: false,
    });
  });

  it("is ready when canary pods are up and available and stable is down to N − batch", () => {
    const d = held();
    const stable = replicaSet(d, "stable1", "web:v1", 7, 1);
    const canary = replicaSet(d, "c1", "web:v2", 3, 2, T0 + 1);
    const plan = observe(d, [stable, canary], [...podsOf(stable, 7, 7), ...podsOf(canary, 3, 3)]).planBatch(
      3,
      0,
    );
    expect(plan).toEqual({
      writes: [],
      ready: true,
      progress: { batch: 3, updated: 3, updatedReady: 3, allowedFailures: 0 },
    });
  });

  it("lets a superseded canary drain before the new canary gets a pod (never three revisions)", () => {
    const d = held({ image: "web:v3" });
    const stable = replicaSet(d, "stable1", "web:v1", 7, 1);
    const superseded = replicaSet(d, "v2hash", "web:v2", 3, 2, T0 + 1);
    const observed = observe(d, [stable, superseded], [...podsOf(stable, 7, 7), ...podsOf(superseded, 3, 3)]);
    const plan = observed.planBatch(1, 0);
    // Stable grows within maxSurge (3); the old canary shrinks within maxUnavailable (2); no v3 ReplicaSet yet.
    expect(scaleTargets(plan.writes)).toEqual([
      `web-stable1→{"spec":{"replicas":10}}`,
      `web-v2hash→{"spec":{"replicas":1}}`,
    ]);
    expect(observed.snapshot.other).toEqual({ pods: 3, ready: 3, available: 3 });
  });

  it("refuses with a clear message when the stable ReplicaSet is gone", () => {
    const d = held({ stableRevision: "gone" });
    const canary = replicaSet(d, "c1", "web:v2", 10, 2);
    const plan = observe(d, [canary], podsOf(canary, 10, 10)).planBatch(3, 0);
    expect(plan.blocked).toContain("the stable ReplicaSet (revision gone) no longer exists");
    expect(plan.writes).toEqual([]);
  });
});

describe("planAbort", () => {
  it("scales the canary back to 0 and stable to N, keeping the Deployment held on the canary template", () => {
    const d = held();
    const stable = replicaSet(d, "stable1", "web:v1", 7, 1);
    const canary = replicaSet(d, "c1", "web:v2", 3, 2, T0 + 1);
    const plan = observe(d, [stable, canary], [...podsOf(stable, 7, 7), ...podsOf(canary, 3, 0)]).planAbort();
    expect(scaleTargets(plan.writes)).toEqual([
      `web-stable1→{"spec":{"replicas":10}}`,
      `web-c1→{"spec":{"replicas":0}}`,
    ]);
    expect(plan.writes.some((w) => w.target.kind === "Deployment")).toBe(false);
    expect(plan.done).toBe(false);
  });

  it("is done once no canary pod is left", () => {
    const d = held();
    const stable = replicaSet(d, "stable1", "web:v1", 10, 1);
    const canary = replicaSet(d, "c1", "web:v2", 0, 2, T0 + 1);
    expect(observe(d, [stable, canary], podsOf(stable, 10, 10)).planAbort()).toEqual({
      writes: [],
      done: true,
    });
  });

  it("still works when the original annotation is unreadable (Kubernetes' default bounds)", () => {
    const d = held();
    d.metadata!.annotations![ANNOTATION_ORIGINAL] = "not json";
    const stable = replicaSet(d, "stable1", "web:v1", 7, 1);
    const canary = replicaSet(d, "c1", "web:v2", 3, 2, T0 + 1);
    const plan = observe(d, [stable, canary], [...podsOf(stable, 7, 7), ...podsOf(canary, 3, 3)]).planAbort();
    // 25%/25% of 10, not the held Recreate's "everything at once": stable +3, available canary pods 2 at a time.
    expect(scaleTargets(plan.writes)).toEqual([
      `web-stable1→{"spec":{"replicas":10}}`,
      `web-c1→{"spec":{"replicas":1}}`,
    ]);
  });
});

describe("rollback (template set back to stable)", () => {
  it("is detected, and abort drains the pods Slipway created", () => {
    const d = held({ image: "web:v1" });
    const stable = replicaSet(d, "stable1", "web:v1", 7, 1);
    const canary = replicaSet(d, "c1", "web:v2", 3, 2, T0 + 1);
    const observed = observe(d, [stable, canary], [...podsOf(stable, 7, 7), ...podsOf(canary, 3, 3)]);
    expect(observed.snapshot).toMatchObject({
      rolledBack: true,
      inRelease: false,
      canaryRevision: "stable1",
    });
    expect(observed.planBatch(3, 0).blocked).toContain("nothing to release");
    expect(scaleTargets(observed.planAbort().writes)).toEqual([
      `web-stable1→{"spec":{"replicas":10}}`,
      `web-c1→{"spec":{"replicas":1}}`,
    ]);
  });
});

describe("finishing", () => {
  const d = held();
  const stable = replicaSet(d, "stable1", "web:v1", 5, 1);
  const canary = replicaSet(d, "c1", "web:v2", 5, 2, T0 + 1);

  it("release restores the original strategy and unpauses in one write", () => {
    const plan = observe(
      d,
      [stable, canary],
      [...podsOf(stable, 5, 5), ...podsOf(canary, 5, 5)],
    ).planRelease();
    expect(plan.done).toBe(false);
    expect(plan.writes.map((w) => w.type === "patch" && w.patch)).toEqual([
      {
        spec: {
          paused: false,
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
        },
      },
    ]);
  });

  it("releaseDone waits for every pod on the canary revision and available", () => {
    const released = { ...d, spec: { ...d.spec!, paused: false, strategy: ORIGINAL.strategy } };
    const rolling = observe(released, [stable, canary], [...podsOf(stable, 5, 5), ...podsOf(canary, 5, 5)]);
    expect(rolling.releaseDone()).toBe(false);
    const full = { ...canary, spec: { ...canary.spec!, replicas: 10 } };
    const unready = observe(
      released,
      [{ ...stable, spec: { ...stable.spec!, replicas: 0 } }, full],
      podsOf(full, 10, 9),
    );
    expect(unready.releaseDone()).toBe(false);
    const done = observe(
      released,
      [{ ...stable, spec: { ...stable.spec!, replicas: 0 } }, full],
      podsOf(full, 10, 10),
    );
    expect(done.releaseDone()).toBe(true);
    expect(done.planRelease()).toEqual({ writes: [], done: true });
    const cleanup = done.planCleanup();
    expect(cleanup.writes.map((w) => w.type === "patch" && w.patch)).toEqual([
      { metadata: { annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null } } },
    ]);
  });

  it("restore (detach) hands the Deployment back in one write: strategy, unpaused, release state and label gone", () => {
    const plan = observe(d, [stable, canary], []).planRestore({ detach: true });
    expect(plan.writes.map((w) => w.type === "patch" && w.patch)).toEqual([
      {
        spec: { paused: false, strategy: ORIGINAL.strategy },
        metadata: {
          annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null },
          labels: { [LABEL_MANAGED_BY]: null },
        },
      },
    ]);
  });

  it("restore never unpauses into Slipway's Recreate when the original is unreadable", () => {
    const broken = held();
    broken.metadata!.annotations![ANNOTATION_ORIGINAL] = "]";
    const [write] = observe(broken, [stable, canary], []).planRestore({ detach: false }).writes;
    expect(write?.type === "patch" && write.patch["spec"]).toEqual({
      paused: false,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    });
  });

  it("restore keeps a user's own Recreate strategy and brings back the progress deadline", () => {
    const recreate = held({
      original: { paused: false, strategy: { type: "Recreate" }, progressDeadlineSeconds: 900 },
    });
    const [write] = observe(recreate, [stable, canary], []).planRestore({ detach: false }).writes;
    expect(write?.type === "patch" && write.patch["spec"]).toEqual({
      paused: false,
      progressDeadlineSeconds: 900,
    });
  });

  it("restore of a Deployment already handed back writes nothing", () => {
    const plain = deployment({ paused: false });
    delete plain.metadata!.labels![LABEL_MANAGED_BY];
    expect(
      observe(plain, [replicaSet(plain, "c1", "web:v2", 10, 1)], []).planRestore({ detach: true }),
    ).toEqual({
      writes: [],
      done: true,
    });
  });

  it("keeps templates comparable across client representations", () => {
    expect(templatesEqualIgnoringHash(template("web:v2"), d.spec!.template)).toBe(true);
  });
});
