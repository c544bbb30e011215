import type { V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE, LABEL_MANAGED_BY } from "../api/names.ts";
import { observeStatefulSet } from "./statefulset.ts";
import { statefulPods, statefulSet, T0, type PodState } from "./testing/fixtures.ts";
import type { Write } from "./types.ts";

const ORIGINAL = { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } } };
const S = "db-stable1";
const C = "db-canary1";

function pods(...spec: [string, PodState][]): V1Pod[] {
  return statefulPods(spec.map(([revision, state]) => ({ revision, state })));
}

function observe(sts: V1StatefulSet, podList: V1Pod[]) {
  return observeStatefulSet({ statefulSet: sts, pods: podList }, { now: new Date(T0) });
}

function patchesOf(writes: readonly Write[]) {
  return writes.map((w) => (w.type === "patch" ? w.patch : `${w.type} ${w.target.kind}/${w.target.name}`));
}

const allStable = (): V1Pod[] => pods([S, "ready"], [S, "ready"], [S, "ready"], [S, "ready"], [S, "ready"]);

describe("StatefulSet partition", () => {
  it("reads revisions from status and pod labels", () => {
    const sts = statefulSet({ partition: 3, original: ORIGINAL, stableRevision: S, updatedReplicas: 2 });
    const { snapshot } = observe(
      sts,
      pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "pending"]),
    );
    expect(snapshot).toMatchObject({
      kind: "StatefulSet",
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

  it("a batch of b canary pods is partition N − b, and is ready once those pods are available", () => {
    const sts = statefulSet({ partition: 5, original: ORIGINAL, stableRevision: S });
    const plan = observe(sts, allStable()).planBatch(2, 0);
    expect(patchesOf(plan.writes)).toEqual([
      { spec: { updateStrategy: { rollingUpdate: { partition: 3 } } } },
    ]);
    expect(plan.writes[0]).toMatchObject({
      resourceVersion: "200",
      target: { kind: "StatefulSet", name: "db" },
    });

    const moving = statefulSet({ partition: 3, original: ORIGINAL, stableRevision: S, updatedReplicas: 2 });
    const unready = observe(
      moving,
      pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "pending"]),
    );
    expect(unready.planBatch(2, 0)).toMatchObject({
      writes: [],
      ready: false,
      progress: { updated: 2, updatedReady: 1 },
    });
    expect(unready.planBatch(2, 1).ready).toBe(true); // one failure allowed
    const ready = observe(moving, pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]));
    expect(ready.planBatch(2, 0).ready).toBe(true);
  });

  it("trusts neither the pods nor the status alone for 'updated'", () => {
    const lagging = statefulSet({ partition: 3, original: ORIGINAL, stableRevision: S, updatedReplicas: 1 });
    const plan = observe(
      lagging,
      pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]),
    ).planBatch(2, 0);
    expect(plan).toMatchObject({ ready: false, progress: { updated: 1 } });
  });

  it("waits for the controller to observe the latest spec", () => {
    const sts = statefulSet({ partition: 5, original: ORIGINAL, stableRevision: S });
    sts.status!.observedGeneration = 2;
    expect(observe(sts, allStable()).planBatch(2, 0)).toMatchObject({ writes: [], ready: false });
  });

  it("re-holds a partition a user lowered, and saves the original when the webhook did not", () => {
    const lowered = statefulSet({ partition: 0, original: ORIGINAL, stableRevision: S });
    expect(patchesOf(observe(lowered, allStable()).planHold(2).writes)).toEqual([
      { spec: { updateStrategy: { rollingUpdate: { partition: 3 } } } },
    ]);
    const unsaved = statefulSet({ partition: 1 });
    expect(patchesOf(observe(unsaved, allStable()).planHold(0).writes)).toEqual([
      {
        spec: { updateStrategy: { rollingUpdate: { partition: 5 } } },
        metadata: {
          annotations: {
            [ANNOTATION_ORIGINAL]: JSON.stringify({
              kind: "StatefulSet",
              updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } },
            }),
          },
        },
      },
    ]);
  });

  it("refuses OnDelete StatefulSets with the fix", () => {
    const sts = statefulSet({ original: ORIGINAL });
    sts.spec!.updateStrategy = { type: "OnDelete" };
    const observed = observe(sts, allStable());
    expect(observed.snapshot.problem).toContain("OnDelete");
    expect(observed.planBatch(1, 0).blocked).toContain("use RollingUpdate");
  });

  describe("abort", () => {
    it("first raises the partition to N, so deleted pods come back on the stable revision", () => {
      const sts = statefulSet({ partition: 3, original: ORIGINAL, stableRevision: S, updatedReplicas: 2 });
      const plan = observe(
        sts,
        pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]),
      ).planAbort();
      expect(patchesOf(plan.writes)).toEqual([
        { spec: { updateStrategy: { rollingUpdate: { partition: 5 } } } },
      ]);
    });

    it("then deletes unready canary pods at once and available ones within maxUnavailable, highest ordinal first", () => {
      const sts = statefulSet({ partition: 5, original: ORIGINAL, stableRevision: S, updatedReplicas: 3 });
      // One pod is unready, so with maxUnavailable 1 no available pod may go yet: only the unready one.
      const mixed = pods([S, "ready"], [S, "ready"], [C, "ready"], [C, "pending"], [C, "ready"]);
      const plan = observe(sts, mixed).planAbort();
      expect(patchesOf(plan.writes)).toEqual(["delete Pod/db-3"]);
      expect(plan.writes[0]).toMatchObject({ uid: "uid-db-3", resourceVersion: "1" });
      const healthy = observe(
        sts,
        pods([S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]),
      );
      expect(patchesOf(healthy.planAbort().writes)).toEqual(["delete Pod/db-4"]);
      const wider = statefulSet({
        partition: 5,
        original: ORIGINAL,
        stableRevision: S,
        maxUnavailable: "40%",
      });
      expect(patchesOf(observe(wider, mixed).planAbort().writes)).toEqual([
        "delete Pod/db-4",
        "delete Pod/db-3",
      ]);
      expect(plan.done).toBe(false);
    });

    it("is done when every pod is back on the current revision", () => {
      const sts = statefulSet({ partition: 5, original: ORIGINAL, stableRevision: S });
      expect(observe(sts, allStable()).planAbort()).toEqual({ writes: [], done: true });
    });

    it("says plainly when the StatefulSet already rolled every pod over", () => {
      const sts = statefulSet({
        partition: 0,
        original: ORIGINAL,
        stableRevision: S,
        currentRevision: C,
        updateRevision: C,
      });
      const plan = observe(
        sts,
        pods([C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]),
      ).planAbort();
      expect(plan.blocked).toContain("revert the template");
      expect(plan.writes).toEqual([]);
    });
  });

  describe("finishing", () => {
    it("release restores the original partition; done once every pod is updated and available", () => {
      const sts = statefulSet({ partition: 3, original: ORIGINAL, stableRevision: S, updatedReplicas: 2 });
      const observed = observe(
        sts,
        pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]),
      );
      expect(patchesOf(observed.planRelease().writes)).toEqual([
        { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } },
      ]);
      expect(observed.releaseDone()).toBe(false);

      const finished = statefulSet({
        partition: 0,
        original: ORIGINAL,
        stableRevision: S,
        currentRevision: C,
        updateRevision: C,
        updatedReplicas: 5,
      });
      const done = observe(
        finished,
        pods([C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"], [C, "ready"]),
      );
      expect(done.releaseDone()).toBe(true);
      expect(done.planRelease()).toEqual({ writes: [], done: true });
      expect(patchesOf(done.planCleanup().writes)).toEqual([
        { metadata: { annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null } } },
      ]);
    });

    it("restore puts the partition back and forgets the release in one write", () => {
      const sts = statefulSet({ partition: 3, original: { partition: 1 }, stableRevision: S });
      sts.metadata!.labels = { [LABEL_MANAGED_BY]: "db" };
      expect(patchesOf(observe(sts, allStable()).planRestore({ detach: true }).writes)).toEqual([
        {
          spec: { updateStrategy: { rollingUpdate: { partition: 1 } } },
          metadata: {
            annotations: { [ANNOTATION_ORIGINAL]: null, [ANNOTATION_RELEASE]: null },
            labels: { [LABEL_MANAGED_BY]: null },
          },
        },
      ]);
    });
  });

  it("detects a rollback (template back at the stable revision)", () => {
    const sts = statefulSet({
      partition: 3,
      original: ORIGINAL,
      stableRevision: S,
      currentRevision: S,
      updateRevision: S,
    });
    const observed = observe(sts, pods([S, "ready"], [S, "ready"], [S, "ready"], [C, "ready"], [C, "ready"]));
    expect(observed.snapshot).toMatchObject({ rolledBack: true, inRelease: false, other: { pods: 2 } });
    expect(observed.planBatch(2, 0).blocked).toContain("nothing to release");
  });
});
