import { describe, expect, it } from "vitest";
import { parseOriginalAnnotation, parseReleaseAnnotation } from "../src/api/held-workload.ts";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE } from "../src/api/names.ts";
import { templateHash } from "../src/plan/template-diff.ts";
import { cloneSet, deployment, edited, podTemplate, rollout, statefulSet } from "./testing/fixtures.ts";
import { decideWorkloadUpdate, holdAdapterFor, partitionFloor, type HoldDecision } from "./hold.ts";
import { HELD_STATEFULSET_PARTITION } from "./workloads/statefulset.ts";
import type { Workload } from "./workloads/workload.ts";

type Obj = Record<string, unknown>;
const now = new Date("2026-03-01T12:00:00.000Z");
const deploymentAdapter = holdAdapterFor("apps", "Deployment")!;
const statefulSetAdapter = holdAdapterFor("apps", "StatefulSet")!;
const cloneSetAdapter = holdAdapterFor("apps.kruise.io", "CloneSet")!;

function setImage(object: Obj, image: string): Obj {
  return edited(object, (o) => {
    (o["spec"] as Obj)["template"] = podTemplate(image);
  });
}

function mutated(decision: HoldDecision): Workload {
  if (decision.type !== "mutate") throw new Error(`expected a mutation, got ${JSON.stringify(decision)}`);
  return decision.after;
}

const kinds = [
  {
    name: "Deployment",
    adapter: deploymentAdapter,
    make: (o: { replicas?: number } = {}) => deployment("web:1", o),
    held: (w: Workload) => w.spec.paused === true,
    original: { kind: "Deployment", paused: false, progressDeadlineSeconds: 600 },
  },
  {
    name: "StatefulSet",
    adapter: statefulSetAdapter,
    make: (o: { replicas?: number } = {}) => statefulSet("web:1", o),
    held: (w: Workload) => w.spec.updateStrategy?.rollingUpdate?.partition === HELD_STATEFULSET_PARTITION,
    original: {
      kind: "StatefulSet",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
    },
  },
  {
    name: "CloneSet",
    adapter: cloneSetAdapter,
    make: (o: { replicas?: number } = {}) => cloneSet("web:1", o),
    held: (w: Workload) =>
      w.spec.updateStrategy?.partition === "100%" && w.spec.updateStrategy.paused === false,
    original: { kind: "CloneSet", updateStrategy: { type: "ReCreate" } },
  },
] as const;

describe.each(kinds)("holding a $name release", ({ adapter, make, held, original }) => {
  const live = rollout();

  it("holds an image update and saves the originals and the release", () => {
    const old = make();
    const next = setImage(old, "web:2");
    const after = mutated(
      decideWorkloadUpdate({ adapter, oldObject: old, object: next, rollout: live, now }),
    );
    expect(held(after)).toBe(true);
    expect(after.spec.template).toEqual(podTemplate("web:2"));
    expect(parseOriginalAnnotation(after.metadata.annotations?.[ANNOTATION_ORIGINAL])).toMatchObject(
      original,
    );
    expect(parseReleaseAnnotation(after.metadata.annotations?.[ANNOTATION_RELEASE])).toEqual({
      rollout: "web",
      stableRevision: expect.any(String),
      canaryTemplateHash: templateHash(podTemplate("web:2")),
      startedAt: now.toISOString(),
    });
  });

  it.each([
    ["a scale-only update", (o: Obj) => ((o["spec"] as Obj)["replicas"] = 20)],
    ["a metadata-only update", (o: Obj) => ((o["metadata"] as Obj)["labels"] = { team: "a" })],
    ["a status update", (o: Obj) => ((o["status"] as Obj)["replicas"] = 3)],
    [
      "a pod-template-hash label change",
      (o: Obj) =>
        (((o["spec"] as Obj)["template"] as Obj)["metadata"] = {
          labels: { app: "web", "pod-template-hash": "x" },
        }),
    ],
  ])("passes %s unchanged", (_name, edit) => {
    const old = make();
    const decision = decideWorkloadUpdate({
      adapter,
      oldObject: old,
      object: edited(old, edit),
      rollout: live,
      now,
    });
    expect(decision.type).toBe("pass");
  });

  it("passes a release of a workload scaled to 0 replicas", () => {
    const old = make({ replicas: 0 });
    const decision = decideWorkloadUpdate({
      adapter,
      oldObject: old,
      object: setImage(old, "web:2"),
      rollout: live,
      now,
    });
    expect(decision).toMatchObject({ type: "pass", reason: expect.stringContaining("replicas 0") });
  });

  it("ignores template keys listed in spec.ignoreTemplateKeys but still holds other changes", () => {
    const ignoring = rollout({ ignoreTemplateKeys: ["example.com/build-id"] });
    const old = make();
    const annotate = (o: Obj) =>
      ((((o["spec"] as Obj)["template"] as Obj)["metadata"] as Obj)["annotations"] = {
        "example.com/build-id": "42",
      });
    expect(
      decideWorkloadUpdate({ adapter, oldObject: old, object: edited(old, annotate), rollout: ignoring, now })
        .type,
    ).toBe("pass");
    const both = edited(setImage(old, "web:2"), annotate);
    const after = mutated(
      decideWorkloadUpdate({ adapter, oldObject: old, object: both, rollout: ignoring, now }),
    );
    expect(held(after)).toBe(true);
    expect(parseReleaseAnnotation(after.metadata.annotations?.[ANNOTATION_RELEASE])?.canaryTemplateHash).toBe(
      templateHash(podTemplate("web:2")),
    );
  });

  it("keeps a saved original even when no release annotation is left, never saving a held strategy", () => {
    const old = make();
    const held = mutated(
      decideWorkloadUpdate({ adapter, oldObject: old, object: setImage(old, "web:2"), rollout: live, now }),
    );
    const saved = held.metadata.annotations?.[ANNOTATION_ORIGINAL];
    const orphan = edited(held as Obj, (o) => {
      delete ((o["metadata"] as Obj)["annotations"] as Obj)[ANNOTATION_RELEASE];
    });
    const after = mutated(
      decideWorkloadUpdate({
        adapter,
        oldObject: orphan,
        object: setImage(orphan, "web:3"),
        rollout: live,
        now,
      }),
    );
    expect(after.metadata.annotations?.[ANNOTATION_ORIGINAL]).toBe(saved);
  });

  it("keeps the saved originals and the stable revision when a newer template supersedes the release", () => {
    const old = make();
    const first = mutated(
      decideWorkloadUpdate({ adapter, oldObject: old, object: setImage(old, "web:2"), rollout: live, now }),
    );
    const progressing = rollout({ phase: "Progressing", step: 1 });
    const later = new Date(now.getTime() + 60_000);
    const third = setImage(first as Obj, "web:3");
    const decision = decideWorkloadUpdate({
      adapter,
      oldObject: first,
      object: third,
      rollout: progressing,
      now: later,
    });
    const after = mutated(decision);
    expect(decision).toMatchObject({ reason: "supersede" });
    expect(held(after)).toBe(true);
    expect(after.metadata.annotations?.[ANNOTATION_ORIGINAL]).toBe(
      first.metadata.annotations?.[ANNOTATION_ORIGINAL],
    );
    const release = parseReleaseAnnotation(after.metadata.annotations?.[ANNOTATION_RELEASE]);
    const previous = parseReleaseAnnotation(first.metadata.annotations?.[ANNOTATION_RELEASE]);
    expect(release).toEqual({
      rollout: "web",
      stableRevision: previous?.stableRevision,
      canaryTemplateHash: templateHash(podTemplate("web:3")),
      startedAt: later.toISOString(),
    });
  });

  it("puts back the release annotations a user removes while a release is in progress", () => {
    const old = make();
    const heldObject = mutated(
      decideWorkloadUpdate({ adapter, oldObject: old, object: setImage(old, "web:2"), rollout: live, now }),
    );
    const stripped = edited(heldObject, (w) => {
      w.metadata.annotations = {};
    });
    const after = mutated(
      decideWorkloadUpdate({ adapter, oldObject: heldObject, object: stripped, rollout: live, now }),
    );
    const { [ANNOTATION_ORIGINAL]: original, [ANNOTATION_RELEASE]: release } =
      heldObject.metadata.annotations ?? {};
    expect(after.metadata.annotations).toEqual({
      [ANNOTATION_ORIGINAL]: original,
      [ANNOTATION_RELEASE]: release,
    });
  });
});

describe("re-holding a release in progress", () => {
  const releaseAnnotations = {
    [ANNOTATION_RELEASE]: JSON.stringify({
      rollout: "web",
      stableRevision: "a",
      canaryTemplateHash: "b",
      startedAt: "t",
    }),
    [ANNOTATION_ORIGINAL]: JSON.stringify({ kind: "Deployment", paused: false }),
  };

  const unpauseHeld = (live: ReturnType<typeof rollout>) => {
    const old = deployment("web:2", { paused: true, annotations: releaseAnnotations });
    const next = edited(old, (o) => ((o["spec"] as Obj)["paused"] = false));
    return decideWorkloadUpdate({
      adapter: deploymentAdapter,
      oldObject: old,
      object: next,
      rollout: live,
      now,
    });
  };

  it("re-pauses a Deployment a user unpauses, instead of rejecting the update", () => {
    const decision = unpauseHeld(rollout({ phase: "Paused", step: 1 }));
    expect(mutated(decision).spec.paused).toBe(true);
    expect(decision.type === "mutate" && decision.warnings[0]).toContain("spec.paused was set back to true");
  });

  it("lets the controller unpause while the Rollout is Finalizing", () => {
    const decision = unpauseHeld(rollout({ phase: "Finalizing" }));
    expect(decision.type).toBe("pass");
  });

  it("passes an unpause of a Deployment with no release in progress", () => {
    const old = deployment("web:1", { paused: true });
    const next = edited(old, (o) => ((o["spec"] as Obj)["paused"] = false));
    expect(
      decideWorkloadUpdate({
        adapter: deploymentAdapter,
        oldObject: old,
        object: next,
        rollout: rollout(),
        now,
      }).type,
    ).toBe("pass");
  });

  it("lets the StatefulSet partition go down to the current step's batch, and no further", () => {
    const old = statefulSet("web:2", {
      replicas: 10,
      partition: HELD_STATEFULSET_PARTITION,
      annotations: releaseAnnotations,
    });
    const atStep2 = rollout({ phase: "Progressing", step: 2 }); // step 2 is 50%: 5 canary pods, partition >= 5
    const setPartition = (p: number) =>
      edited(old, (o) => (((o["spec"] as Obj)["updateStrategy"] as Obj)["rollingUpdate"] = { partition: p }));
    expect(
      decideWorkloadUpdate({
        adapter: statefulSetAdapter,
        oldObject: old,
        object: setPartition(5),
        rollout: atStep2,
        now,
      }).type,
    ).toBe("pass");
    const lowered = mutated(
      decideWorkloadUpdate({
        adapter: statefulSetAdapter,
        oldObject: old,
        object: setPartition(0),
        rollout: atStep2,
        now,
      }),
    );
    expect(lowered.spec.updateStrategy?.rollingUpdate?.partition).toBe(HELD_STATEFULSET_PARTITION);
  });

  it("holds every CloneSet pod on stable after an abort", () => {
    const old = cloneSet("web:2", { replicas: 4, partition: 2, annotations: releaseAnnotations });
    const aborted = rollout({ phase: "Aborted", step: 2 });
    const next = edited(old, (o) => (((o["spec"] as Obj)["updateStrategy"] as Obj)["partition"] = "0%"));
    const after = mutated(
      decideWorkloadUpdate({ adapter: cloneSetAdapter, oldObject: old, object: next, rollout: aborted, now }),
    );
    expect(after.spec.updateStrategy?.partition).toBe(4);
    const full = edited(old, (o) => (((o["spec"] as Obj)["updateStrategy"] as Obj)["partition"] = "100%"));
    expect(
      decideWorkloadUpdate({ adapter: cloneSetAdapter, oldObject: old, object: full, rollout: aborted, now })
        .type,
    ).toBe("pass");
  });

  it("computes the partition floor from the current step's batch", () => {
    expect(partitionFloor(rollout({ phase: "Healthy", step: 0 }), 10)).toBe(10);
    expect(partitionFloor(rollout({ phase: "Progressing", step: 1 }), 10)).toBe(9);
    expect(partitionFloor(rollout({ phase: "Progressing", step: 2 }), 10)).toBe(5);
    expect(partitionFloor(rollout({ phase: "Progressing", step: 3 }), 10)).toBe(0);
    expect(partitionFloor(rollout({ phase: "Aborted", step: 2 }), 10)).toBe(10);
  });
});

describe("workloads that cannot be held", () => {
  it("passes an OnDelete StatefulSet with a warning naming the fix", () => {
    const old = statefulSet("web:1", { type: "OnDelete" });
    const decision = decideWorkloadUpdate({
      adapter: statefulSetAdapter,
      oldObject: old,
      object: setImage(old, "web:2"),
      rollout: rollout({ kind: "StatefulSet", workload: "db" }),
      now,
    });
    expect(decision).toMatchObject({
      type: "pass",
      warnings: [expect.stringContaining("use RollingUpdate")],
    });
  });

  it("reports a malformed object instead of guessing", () => {
    const decision = decideWorkloadUpdate({
      adapter: deploymentAdapter,
      oldObject: { metadata: {} },
      object: deployment("x"),
      rollout: rollout(),
      now,
    });
    expect(decision).toMatchObject({ type: "invalid", message: expect.stringContaining("metadata.name") });
  });
});

describe("stable revision recorded for a new release", () => {
  it("takes the StatefulSet's updateRevision and the CloneSet's revision hash, the Rollout's for a Deployment", () => {
    const revision = (adapter: typeof deploymentAdapter, old: Obj) =>
      parseReleaseAnnotation(
        mutated(
          decideWorkloadUpdate({
            adapter,
            oldObject: old,
            object: setImage(old, "web:2"),
            rollout: rollout({ stableRevision: "7c9d8b6f5" }),
            now,
          }),
        ).metadata.annotations?.[ANNOTATION_RELEASE],
      )?.stableRevision;
    expect(revision(deploymentAdapter, deployment("web:1"))).toBe("7c9d8b6f5");
    expect(revision(statefulSetAdapter, statefulSet("web:1"))).toBe("db-5d8f9c7b6");
    expect(revision(cloneSetAdapter, cloneSet("web:1"))).toBe("6f7c8d9b5");
  });
});
