import type { V1Deployment, V1OwnerReference, V1ReplicaSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE, LABEL_MANAGED_BY } from "../api/names.ts";
import { LABEL_CANARY, observeDeploymentCanary } from "./deployment-canary.ts";
import { controllerRef, deployment, podsOf, replicaSet, T0, template } from "./testing/fixtures.ts";
import type { Write } from "./types.ts";

const OWNER: V1OwnerReference = {
  apiVersion: "rollouts.slipway.dev/v1alpha1",
  kind: "Rollout",
  name: "web",
  uid: "uid-rollout",
  controller: true,
  blockOwnerDeletion: true,
};
const ORIGINAL = {
  paused: false,
  strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  progressDeadlineSeconds: 600,
};

function heldOriginal(image = "web:v2"): V1Deployment {
  return deployment({ image, maxSurge: 1, maxUnavailable: 0, original: ORIGINAL, stableRevision: "stable1" });
}

/** The canary Deployment as the API server would return it, with its ReplicaSet and pods. */
function canaryObjects(image: string, replicas: number, ready: number, rsReplicas = replicas) {
  const canaryTemplate = template(image, { [LABEL_CANARY]: "true" });
  const d: V1Deployment = {
    ...deployment({ name: "web-canary", image, replicas, paused: false }),
    spec: {
      replicas,
      selector: { matchLabels: { app: "web", [LABEL_CANARY]: "true" } },
      template: canaryTemplate,
      strategy: ORIGINAL.strategy,
    },
  };
  d.metadata = { ...d.metadata, uid: "uid-canary", resourceVersion: "300", ownerReferences: [OWNER] };
  const base = replicaSet(d, "can1", image, rsReplicas, 1, T0 + 1);
  const labels = { ...canaryTemplate.metadata.labels, "pod-template-hash": "can1" };
  const rs: V1ReplicaSet = {
    ...base,
    metadata: {
      ...base.metadata,
      labels,
      ownerReferences: [controllerRef("Deployment", "web-canary", "uid-canary")],
    },
    spec: {
      ...base.spec!,
      selector: { matchLabels: labels },
      template: { ...canaryTemplate, metadata: { labels } },
    },
  };
  return { deployment: d, replicaSets: [rs], pods: podsOf(rs, rsReplicas, ready) };
}

function observe(
  original: V1Deployment,
  canary?: ReturnType<typeof canaryObjects>,
  owner: V1OwnerReference | null = OWNER,
) {
  const stable = replicaSet(original, "stable1", "web:v1", 10, 1);
  const objects = {
    original: { deployment: original, replicaSets: [stable], pods: podsOf(stable, 10, 10) },
    canary,
  };
  return observeDeploymentCanary(objects, { now: new Date(T0), ...(owner && { owner }) });
}

function patches(writes: readonly Write[]) {
  return writes.map((w) => (w.type === "patch" ? [w.target.name, w.patch] : [w.type, w.target.name]));
}

describe("canary-deployment style", () => {
  it("creates <name>-canary with the canary template, owned by the Rollout, selectors kept apart", () => {
    const [write] = observe(heldOriginal()).planBatch(3, 0).writes;
    expect(write?.type).toBe("create");
    if (write?.type !== "create") return;
    const canary = write.object as V1Deployment;
    expect(canary.metadata).toEqual({
      name: "web-canary",
      namespace: "shop",
      labels: { [LABEL_CANARY]: "true" },
      ownerReferences: [OWNER],
    });
    expect(canary.metadata?.labels).not.toHaveProperty(LABEL_MANAGED_BY);
    expect(canary.spec).toMatchObject({
      replicas: 3,
      paused: false,
      selector: { matchLabels: { app: "web", [LABEL_CANARY]: "true" } },
      template: template("web:v2", { [LABEL_CANARY]: "true" }),
      strategy: ORIGINAL.strategy,
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
    });
  });

  it("refuses to create an orphan canary Deployment", () => {
    expect(observe(heldOriginal(), undefined, null).planBatch(3, 0).blocked).toContain(
      "needs the Rollout as owner",
    );
  });

  it("re-holds the original if a user unpaused it, before anything else", () => {
    const original = heldOriginal();
    original.spec!.paused = false;
    expect(patches(observe(original).planBatch(3, 0).writes)).toEqual([["web", { spec: { paused: true } }]]);
  });

  it("scales the canary Deployment to each batch and reports readiness from its pods", () => {
    const original = heldOriginal();
    expect(patches(observe(original, canaryObjects("web:v2", 1, 1)).planBatch(3, 0).writes)).toEqual([
      ["web-canary", { spec: { replicas: 3 } }],
    ]);
    const unready = observe(original, canaryObjects("web:v2", 3, 2)).planBatch(3, 0);
    expect(unready).toMatchObject({ writes: [], ready: false, progress: { updated: 3, updatedReady: 2 } });
    const observed = observe(original, canaryObjects("web:v2", 3, 3));
    expect(observed.planBatch(3, 0)).toMatchObject({ writes: [], ready: true });
    expect(observed.snapshot).toMatchObject({
      style: "canary-deployment",
      stableRevision: "stable1",
      canaryRevision: "can1",
      held: true,
      stable: { pods: 10, available: 10 },
      canary: { pods: 3, available: 3 },
    });
  });

  it("drops a superseded canary's pods before moving it to the new template", () => {
    const original = heldOriginal("web:v3");
    expect(patches(observe(original, canaryObjects("web:v2", 3, 3)).planBatch(1, 0).writes)).toEqual([
      ["web-canary", { spec: { replicas: 0 } }],
    ]);
    expect(observe(original, canaryObjects("web:v2", 0, 0, 2)).planBatch(1, 0).writes).toEqual([]);
    const [write] = observe(original, canaryObjects("web:v2", 0, 0)).planBatch(1, 0).writes;
    expect(write?.type === "patch" && write.patch).toEqual({
      spec: { replicas: 1, template: template("web:v3", { [LABEL_CANARY]: "true" }) },
    });
  });

  it("abort scales the canary Deployment to 0 and keeps the original held", () => {
    const original = heldOriginal();
    const plan = observe(original, canaryObjects("web:v2", 3, 1)).planAbort();
    expect(patches(plan.writes)).toEqual([["web-canary", { spec: { replicas: 0 } }]]);
    expect(observe(original, canaryObjects("web:v2", 0, 0, 1)).planAbort()).toEqual({
      writes: [],
      done: false,
    });
    expect(observe(original, canaryObjects("web:v2", 0, 0)).planAbort()).toEqual({ writes: [], done: true });
  });

  it("finishes: release the original, and delete the canary only once the original is fully available", () => {
    const original = heldOriginal();
    const canary = canaryObjects("web:v2", 3, 3);
    expect(patches(observe(original, canary).planRelease().writes)).toEqual([
      ["web", { spec: { paused: false } }],
    ]);

    const released = { ...original, spec: { ...original.spec!, paused: false } };
    const stable = replicaSet(released, "stable1", "web:v1", 2, 1);
    const fresh = replicaSet(released, "new1", "web:v2", 9, 2, T0 + 5);
    const rolling = observeDeploymentCanary(
      {
        original: {
          deployment: released,
          replicaSets: [stable, fresh],
          pods: [...podsOf(stable, 2, 2), ...podsOf(fresh, 9, 9)],
        },
        canary,
      },
      { now: new Date(T0), owner: OWNER },
    );
    expect(rolling.releaseDone()).toBe(false);
    expect(rolling.planCleanup()).toEqual({ writes: [], done: false });

    const full = replicaSet(released, "new1", "web:v2", 10, 2, T0 + 5);
    const done = observeDeploymentCanary(
      {
        original: {
          deployment: released,
          replicaSets: [{ ...stable, spec: { ...stable.spec!, replicas: 0 } }, full],
          pods: podsOf(full, 10, 10),
        },
        canary,
      },
      { now: new Date(T0), owner: OWNER },
    );
    expect(done.releaseDone()).toBe(true);
    const cleanup = done.planCleanup().writes;
    expect(cleanup[0]).toMatchObject({
      type: "delete",
      target: { name: "web-canary" },
      uid: "uid-canary",
      resourceVersion: "300",
    });
    expect(cleanup[1]?.type === "patch" && cleanup[1].patch).toEqual({
      metadata: { annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null } },
    });
  });

  it("restore hands the original back and deletes the canary Deployment", () => {
    const plan = observe(heldOriginal(), canaryObjects("web:v2", 3, 3)).planRestore({ detach: true });
    expect(patches(plan.writes)).toEqual([
      [
        "web",
        {
          spec: { paused: false },
          metadata: {
            annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null },
            labels: { [LABEL_MANAGED_BY]: null },
          },
        },
      ],
      ["delete", "web-canary"],
    ]);
  });
});
