import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE, LABEL_MANAGED_BY } from "../api/names.ts";
import { canaryReplicasFor } from "../plan/batch-size.ts";
import { cloneSetAdapter, observeCloneSet } from "./cloneset.ts";
import type { CloneSet } from "./cloneset.ts";
import { partitionFor, resolvePartition, shortHash } from "./cloneset-view.ts";
import { NAMESPACE, pod, T0, type PodState } from "./testing/fixtures.ts";
import type { Write } from "./types.ts";

// As the webhook saves it: kruise's defaults are part of the user's strategy.
const ORIGINAL = {
  kind: "CloneSet",
  updateStrategy: { type: "ReCreate", partition: 0, maxUnavailable: "20%", maxSurge: 0 },
};
const S = "5d8f9c7b6";
const C = "7c9d8b6f5";

interface Options {
  replicas?: number;
  partition?: number | string;
  paused?: boolean;
  original?: unknown;
  stableRevision?: string;
  currentRevision?: string;
  updateRevision?: string;
  updatedReplicas?: number;
  updatedReadyReplicas?: number;
  maxUnavailable?: number | string;
}

function cloneSet(o: Options = {}): CloneSet {
  const annotations: Record<string, string> = {};
  if (o.original !== undefined) annotations[ANNOTATION_ORIGINAL] = JSON.stringify(o.original);
  if (o.stableRevision !== undefined)
    annotations[ANNOTATION_RELEASE] = JSON.stringify({ rollout: "api", stableRevision: o.stableRevision });
  const replicas = o.replicas ?? 5;
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "CloneSet",
    metadata: {
      name: "api",
      namespace: NAMESPACE,
      uid: "uid-cs-api",
      resourceVersion: "300",
      generation: 4,
      annotations,
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: "api" } },
      updateStrategy: {
        type: "ReCreate",
        partition: o.partition ?? "100%",
        maxSurge: 0,
        maxUnavailable: o.maxUnavailable ?? "20%",
        ...(o.paused !== undefined && { paused: o.paused }),
      },
    },
    status: {
      observedGeneration: 4,
      replicas,
      // kruise's status carries revision names; pods carry the hash alone as pod-template-hash.
      currentRevision: `api-${o.currentRevision ?? S}`,
      updateRevision: `api-${o.updateRevision ?? C}`,
      updatedReplicas: o.updatedReplicas ?? 0,
      updatedReadyReplicas: o.updatedReadyReplicas ?? o.updatedReplicas ?? 0,
    },
  };
}

/** CloneSet pods as kruise labels them (see test/e2e/kruise-cloneset.test.ts). */
function pods(...spec: [string, PodState][]): V1Pod[] {
  const owner = { kind: "CloneSet", name: "api", uid: "uid-cs-api" };
  return spec.map(([hash, state], i) =>
    pod(owner, i, state, {
      app: "api",
      "controller-revision-hash": `api-${hash}`,
      "pod-template-hash": hash,
    }),
  );
}

function observe(cs: CloneSet, podList: V1Pod[]) {
  return observeCloneSet({ cloneSet: cs, pods: podList }, { now: new Date(T0) });
}

function patchesOf(writes: readonly Write[]) {
  return writes.map((w) => (w.type === "patch" ? w.patch : `${w.type} ${w.target.kind}/${w.target.name}`));
}

const allStable = (): V1Pod[] => pods([S, "ready"], [S, "ready"], [S, "ready"], [S, "ready"], [S, "ready"]);
const held = { original: ORIGINAL, stableRevision: S };

describe("CloneSet partition", () => {
  it("resolves a partition as kruise does", () => {
    expect(resolvePartition("100%", 5)).toBe(5);
    expect(resolvePartition("50%", 5)).toBe(3); // rounded up
    expect(resolvePartition("99%", 5)).toBe(4); // below 100% always updates one pod
    expect(resolvePartition(2, 5)).toBe(2);
    expect(resolvePartition(undefined, 5)).toBe(0);
    expect(shortHash(`api-${S}`)).toBe(S);
  });

  it("writes N − canaryReplicasFor(step) for every step, as an integer (100% only to hold)", () => {
    for (const n of [1, 2, 3, 6, 10]) {
      for (const step of [1, "20%", "50%", 3, "100%"] as const) {
        const batch = canaryReplicasFor(step, n);
        const cs = cloneSet({ ...held, replicas: n });
        const plan = observe(cs, allStable()).planBatch(batch, 0);
        expect(plan.progress.batch).toBe(batch);
        expect(patchesOf(plan.writes)).toEqual([{ spec: { updateStrategy: { partition: n - batch } } }]);
        expect(resolvePartition(n - batch, n)).toBe(n - batch);
      }
    }
    expect(partitionFor(0, 6)).toBe("100%");
  });

  it("reads revisions (short hashes) from status and pod labels", () => {
    const cs = cloneSet({ ...held, partition: 3, updatedReplicas: 2, updatedReadyReplicas: 1 });
    const { snapshot } = observe(
      cs,
      pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "pending"]),
    );
    expect(snapshot).toMatchObject({
      kind: "CloneSet",
      style: "cloneset-partition",
      ref: { apiVersion: "apps.kruise.io/v1alpha1", kind: "CloneSet", name: "api" },
      replicas: 5,
      stableRevision: S,
      canaryRevision: C,
      inRelease: true,
      rolledBack: false,
      held: true,
      stable: { pods: 3, ready: 3, available: 3 },
      canary: { pods: 2, ready: 1, available: 1 },
      other: { pods: 0 },
    });
  });

  it("falls back to status.currentRevision when the release does not name the stable revision", () => {
    const cs = cloneSet({ original: ORIGINAL });
    expect(observe(cs, allStable()).snapshot.stableRevision).toBe(S);
  });

  it("a batch is ready when pods and status agree on updated and ready, with allowed failures", () => {
    const moving = (updatedReady: number) =>
      cloneSet({ ...held, partition: 3, updatedReplicas: 2, updatedReadyReplicas: updatedReady });
    const mixed = pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "pending"]);
    expect(observe(moving(1), mixed).planBatch(2, 0)).toMatchObject({
      writes: [],
      ready: false,
      progress: { batch: 2, updated: 2, updatedReady: 1 },
    });
    expect(observe(moving(1), mixed).planBatch(2, 1).ready).toBe(true);
    const bothReady = pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]);
    expect(observe(moving(2), bothReady).planBatch(2, 0).ready).toBe(true);
    // The controller has not counted the second pod as ready yet: not ready.
    expect(observe(moving(1), bothReady).planBatch(2, 0)).toMatchObject({
      ready: false,
      progress: { updatedReady: 1 },
    });
    // Nor as updated.
    const lagging = cloneSet({ ...held, partition: 3, updatedReplicas: 1, updatedReadyReplicas: 1 });
    expect(observe(lagging, bothReady).planBatch(2, 0)).toMatchObject({
      ready: false,
      progress: { updated: 1 },
    });
  });

  it("waits for kruise to observe the latest spec", () => {
    const cs = cloneSet(held);
    cs.status!.observedGeneration = 3;
    expect(observe(cs, allStable()).planBatch(2, 0)).toMatchObject({ writes: [], ready: false });
  });

  it("unpauses a paused CloneSet with the batch, and re-holds a lowered partition", () => {
    const paused = cloneSet({ ...held, partition: 3, paused: true });
    expect(patchesOf(observe(paused, allStable()).planBatch(2, 0).writes)).toEqual([
      { spec: { updateStrategy: { partition: 3, paused: false } } },
    ]);
    const lowered = cloneSet({ ...held, partition: 0 });
    expect(patchesOf(observe(lowered, allStable()).planHold(2).writes)).toEqual([
      { spec: { updateStrategy: { partition: 3 } } },
    ]);
    expect(patchesOf(observe(lowered, allStable()).planHold(0).writes)).toEqual([
      { spec: { updateStrategy: { partition: "100%" } } },
    ]);
    expect(observe(cloneSet(held), allStable()).planHold(0)).toEqual({ writes: [], done: true });
  });

  it("saves the original strategy when the webhook did not", () => {
    const unsaved = cloneSet({ partition: 1 });
    const [write] = observe(unsaved, allStable()).planHold(0).writes;
    expect(write).toMatchObject({
      type: "patch",
      resourceVersion: "300",
      target: { kind: "CloneSet", name: "api" },
    });
    expect(patchesOf(write ? [write] : [])).toEqual([
      {
        spec: { updateStrategy: { partition: "100%" } },
        metadata: {
          annotations: {
            [ANNOTATION_ORIGINAL]: JSON.stringify({
              kind: "CloneSet",
              updateStrategy: { type: "ReCreate", partition: 1, maxSurge: 0, maxUnavailable: "20%" },
            }),
          },
        },
      },
    ]);
  });

  it("reports a malformed original annotation with the fix", () => {
    const cs = cloneSet({ original: { kind: "CloneSet", updateStrategy: { partition: true } } });
    const observed = observe(cs, allStable());
    expect(observed.snapshot.problem).toContain("restore it or remove it");
    expect(observed.planBatch(1, 0).blocked).toContain(ANNOTATION_ORIGINAL);
  });

  describe("abort", () => {
    it("first puts the partition back to 100%, so kruise recreates deleted pods on the stable revision", () => {
      const cs = cloneSet({ ...held, partition: 3, updatedReplicas: 2 });
      const plan = observe(
        cs,
        pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]),
      ).planAbort();
      expect(patchesOf(plan.writes)).toEqual([{ spec: { updateStrategy: { partition: "100%" } } }]);
    });

    it("then deletes unready canary pods at once and available ones within maxUnavailable", () => {
      const cs = cloneSet({ ...held, updatedReplicas: 3 });
      // 20% of 5 rounds up to 1; one pod is unready, so no available pod may go yet.
      const mixed = pods([S, "ready"], [S, "ready"], [C, "ready"], [C, "pending"], [C, "ready"]);
      const plan = observe(cs, mixed).planAbort();
      expect(patchesOf(plan.writes)).toEqual(["delete Pod/api-3"]);
      expect(plan.writes[0]).toMatchObject({ uid: "uid-api-3", resourceVersion: "1" });
      expect(plan.done).toBe(false);
      const healthy = pods([S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]);
      expect(patchesOf(observe(cs, healthy).planAbort().writes)).toEqual(["delete Pod/api-2"]);
      const wider = cloneSet({ ...held, updatedReplicas: 3, maxUnavailable: "40%" });
      // The original strategy's maxUnavailable counts, not the one on the object.
      expect(patchesOf(observe(wider, mixed).planAbort().writes)).toEqual(["delete Pod/api-3"]);
      const widerOriginal = cloneSet({
        original: { kind: "CloneSet", updateStrategy: { maxUnavailable: "40%" } },
        stableRevision: S,
        updatedReplicas: 3,
      });
      expect(patchesOf(observe(widerOriginal, mixed).planAbort().writes)).toEqual([
        "delete Pod/api-2",
        "delete Pod/api-3",
      ]);
    });

    it("is done when every pod is back on the current revision and none is missing", () => {
      expect(observe(cloneSet(held), allStable()).planAbort()).toEqual({ writes: [], done: true });
      const short = pods([S, "ready"], [S, "ready"], [S, "ready"], [S, "ready"]);
      expect(observe(cloneSet(held), short).planAbort().done).toBe(false);
    });

    it("says plainly when kruise already rolled every pod over", () => {
      const cs = cloneSet({
        ...held,
        partition: 0,
        currentRevision: C,
        updateRevision: C,
        updatedReplicas: 5,
      });
      const plan = observe(
        cs,
        pods([C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]),
      ).planAbort();
      expect(plan.blocked).toContain("revert the template");
      expect(plan.writes).toEqual([]);
    });
  });

  describe("finishing", () => {
    it("release restores the original partition; done once every pod is updated, ready and available", () => {
      const cs = cloneSet({ ...held, partition: 3, updatedReplicas: 2 });
      const observed = observe(
        cs,
        pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]),
      );
      expect(patchesOf(observed.planRelease().writes)).toEqual([
        { spec: { updateStrategy: { partition: 0 } } },
      ]);
      expect(observed.releaseDone()).toBe(false);

      const all = pods([C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]);
      const finished = cloneSet({
        ...held,
        partition: 0,
        currentRevision: C,
        updateRevision: C,
        updatedReplicas: 5,
      });
      const done = observe(finished, all);
      expect(done.releaseDone()).toBe(true);
      expect(done.planRelease()).toEqual({ writes: [], done: true });
      expect(patchesOf(done.planCleanup().writes)).toEqual([
        { metadata: { annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null } } },
      ]);
      // kruise's status has not counted the pods as ready yet.
      const notCounted = cloneSet({
        ...held,
        partition: 0,
        currentRevision: C,
        updateRevision: C,
        updatedReplicas: 5,
        updatedReadyReplicas: 4,
      });
      expect(observe(notCounted, all).releaseDone()).toBe(false);
    });

    it("removes the `paused: false` the hold added where the user had no paused field", () => {
      const cs = cloneSet({ ...held, partition: 3, paused: false });
      expect(patchesOf(observe(cs, allStable()).planRelease().writes)).toEqual([
        { spec: { updateStrategy: { partition: 0, paused: null } } },
      ]);
    });

    it("keeps back what the user's own partition kept back", () => {
      const original = { kind: "CloneSet", updateStrategy: { partition: 2 } };
      const cs = cloneSet({ original, stableRevision: S, partition: 2, updatedReplicas: 3 });
      const observed = observe(
        cs,
        pods([S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]),
      );
      expect(observed.planRelease()).toEqual({ writes: [], done: true });
    });

    it("restores a paused original and a removed partition as they were", () => {
      const original = { kind: "CloneSet", updateStrategy: { type: "ReCreate", paused: true } };
      const cs = cloneSet({ original, stableRevision: S, partition: 3 });
      cs.metadata!.labels = { [LABEL_MANAGED_BY]: "api" };
      expect(patchesOf(observe(cs, allStable()).planRestore({ detach: true }).writes)).toEqual([
        {
          spec: { updateStrategy: { partition: null, paused: true } },
          metadata: {
            annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null },
            labels: { [LABEL_MANAGED_BY]: null },
          },
        },
      ]);
      const restored = cloneSet({ original, stableRevision: S, partition: 3, paused: true });
      delete restored.spec!.updateStrategy!.partition;
      expect(observe(restored, allStable()).planRelease()).toEqual({ writes: [], done: true });
    });
  });

  it("detects a rollback (template back at the stable revision)", () => {
    const cs = cloneSet({ ...held, partition: 3, currentRevision: S, updateRevision: S });
    const observed = observe(cs, pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]));
    expect(observed.snapshot).toMatchObject({ rolledBack: true, inRelease: false, other: { pods: 2 } });
    expect(observed.planBatch(2, 0).blocked).toContain("nothing to release");
    // Finishing a rollback: the original partition lets kruise bring the canary pods back to the template.
    expect(patchesOf(observed.planRestore({ detach: false }).writes)).toEqual([
      {
        spec: { updateStrategy: { partition: 0 } },
        metadata: { annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null } },
      },
    ]);
  });

  it("loads the CloneSet and only the pods it controls", async () => {
    const cs = cloneSet(held);
    const foreign = pod({ kind: "ReplicaSet", name: "other", uid: "uid-other" }, 9, "ready", { app: "api" });
    const queries: unknown[] = [];
    const observed = await cloneSetAdapter.load(
      {
        get: async () => cs,
        list: async (query) => {
          queries.push(query);
          return [...allStable(), foreign];
        },
        patch: async () => ({ ok: true }),
        create: async () => ({ ok: true }),
        delete: async () => ({ ok: true }),
      },
      { apiVersion: "apps.kruise.io/v1alpha1", kind: "CloneSet", namespace: NAMESPACE, name: "api" },
      { now: new Date(T0) },
    );
    expect(queries).toEqual([
      { apiVersion: "v1", kind: "Pod", namespace: NAMESPACE, labelSelector: "app=api" },
    ]);
    expect(observed?.snapshot.stable.pods).toBe(5);
    expect(observed?.snapshot.other.pods).toBe(0);
  });
});
