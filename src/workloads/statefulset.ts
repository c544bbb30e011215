// StatefulSet (SPEC §5.3): held by `rollingUpdate.partition`; a batch of b canary pods is partition N − b.
// Revisions are controller-revision-hash values (status.currentRevision / updateRevision, the pods' label).

import type { V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL } from "../api/names.ts";
import { parseRelease, parseStatefulSetOriginal } from "./annotations.ts";
import type { StatefulSetOriginal } from "./annotations.ts";
import { batchFrame } from "./batch.ts";
import { scaledValue, type IntOrPercent } from "./int-or-percent.ts";
import { abortDeletes, finishPatch, holdPatch, loadWithPods, revisionStates } from "./partition-common.ts";
import { CONTROLLER_REVISION_HASH } from "./pod-template.ts";
import { controllerUid, countPods, earliest, isPodActive } from "./pods.ts";
import type {
  AdapterContext,
  BatchPlan,
  ObjectRef,
  ObservedWorkload,
  Plan,
  WorkloadAdapter,
  Write,
} from "./types.ts";

export interface StatefulSetObjects {
  readonly statefulSet: V1StatefulSet;
  /** Pods matching the StatefulSet's selector; the ones it controls are picked out here. */
  readonly pods: readonly V1Pod[];
}

interface StatefulSetView {
  readonly sts: V1StatefulSet;
  readonly replicas: number;
  readonly partition: number;
  readonly original: StatefulSetOriginal | undefined;
  readonly hasOriginal: boolean;
  readonly problem: string | undefined;
  readonly observed: boolean;
  readonly currentRevision: string | undefined;
  readonly updateRevision: string | undefined;
  readonly stableRevision: string | undefined;
  readonly pods: readonly V1Pod[];
  readonly minReadySeconds: number;
  readonly now: Date;
}

function describe(sts: V1StatefulSet): string {
  return `StatefulSet ${sts.metadata?.namespace}/${sts.metadata?.name}`;
}

function stsRef(sts: V1StatefulSet): ObjectRef {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    namespace: sts.metadata?.namespace ?? "",
    name: sts.metadata?.name ?? "",
  };
}

function revisionOf(pod: V1Pod): string | undefined {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH];
}

function ordinalOf(pod: V1Pod): number {
  const match = /-(\d+)$/.exec(pod.metadata?.name ?? "");
  return match === null ? -1 : Number(match[1]);
}

function podsOn(view: StatefulSetView, revision: string | undefined): V1Pod[] {
  return view.pods.filter((pod) => revision !== undefined && revisionOf(pod) === revision);
}

function tally(view: StatefulSetView, pods: readonly V1Pod[]) {
  return countPods(pods, view.minReadySeconds, view.now);
}

function viewStatefulSet(objects: StatefulSetObjects, now: Date): StatefulSetView {
  const sts = objects.statefulSet;
  const replicas = sts.spec?.replicas ?? 1;
  const parsed = parseStatefulSetOriginal(sts);
  let problem = parsed.ok ? undefined : parsed.problem;
  if (sts.spec?.updateStrategy?.type === "OnDelete") {
    problem ??= `${describe(sts)} uses updateStrategy OnDelete, which cannot be released in batches; use RollingUpdate`;
  }
  const status = sts.status;
  const release = parseRelease(sts);
  const uid = sts.metadata?.uid;
  return {
    sts,
    replicas,
    partition: sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
    original: parsed.ok ? parsed.value : undefined,
    hasOriginal: sts.metadata?.annotations?.[ANNOTATION_ORIGINAL] !== undefined,
    problem,
    observed: (status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0),
    currentRevision: status?.currentRevision,
    updateRevision: status?.updateRevision,
    stableRevision: release?.stableRevision || status?.currentRevision, // "" = unknown
    pods: objects.pods.filter((pod) => uid !== undefined && controllerUid(pod) === uid && isPodActive(pod)),
    minReadySeconds: sts.spec?.minReadySeconds ?? 0,
    now,
  };
}

/** The partition the user had before the hold (a bare `partition` or the one inside `updateStrategy`). */
function originalPartition(original: StatefulSetOriginal | undefined): number {
  return original?.updateStrategy?.rollingUpdate?.partition ?? original?.partition ?? 0;
}

/** maxUnavailable of the user's strategy, resolved like the StatefulSet controller (rounded down, at least 1). */
function maxUnavailable(view: StatefulSetView): number {
  const value: IntOrPercent =
    view.original?.updateStrategy?.rollingUpdate?.maxUnavailable ??
    view.sts.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ??
    1;
  try {
    return Math.max(1, scaledValue(value, view.replicas, false));
  } catch {
    return 1;
  }
}

function partitionWrite(view: StatefulSetView, partition: number, reason: string): Write {
  return holdPatch(view.sts, stsRef(view.sts), { updateStrategy: { rollingUpdate: { partition } } }, reason);
}

function canaryPods(view: StatefulSetView): V1Pod[] {
  return view.updateRevision === view.stableRevision ? [] : podsOn(view, view.updateRevision);
}

function planHold(view: StatefulSetView, canaryTarget: number): Plan {
  if (view.problem !== undefined) return { writes: [], done: false, blocked: view.problem };
  const floor = view.replicas - Math.max(0, Math.min(canaryTarget, view.replicas));
  if (view.partition >= floor && view.hasOriginal) return { writes: [], done: true };
  const partition = Math.max(view.partition, floor);
  return {
    writes: [partitionWrite(view, partition, `hold ${describe(view.sts)}: partition ${partition}`)],
    done: false,
  };
}

function planBatch(view: StatefulSetView, target: number, failureThreshold: IntOrPercent): BatchPlan {
  const counts = tally(view, canaryPods(view));
  // Both the pods and the controller must agree a pod is updated.
  const updated = Math.min(counts.pods, view.sts.status?.updatedReplicas ?? counts.pods);
  const frame = batchFrame(
    target,
    view.replicas,
    { updated, updatedReady: counts.available },
    failureThreshold,
  );
  if (view.problem !== undefined) return frame.wait(view.problem);
  if (!view.observed) return frame.wait();
  if (view.updateRevision === view.stableRevision) {
    return frame.wait(
      `${describe(view.sts)}: its template is the stable revision ${view.stableRevision}; nothing to release`,
    );
  }
  const partition = view.replicas - frame.batch;
  if (view.partition !== partition || !view.hasOriginal) {
    const reason = `${describe(view.sts)}: partition ${view.partition}→${partition} (${frame.batch} canary pod(s))`;
    return frame.act([partitionWrite(view, partition, reason)]);
  }
  return { ...frame.act([]), ready: frame.readyByPods };
}

function planAbort(view: StatefulSetView): Plan {
  const sts = view.sts;
  if (sts.spec?.updateStrategy?.type === "OnDelete")
    return { writes: [], done: false, blocked: view.problem };
  // Pods not on currentRevision are the ones to bring back; deleted pods below the partition come back on it.
  const off = view.pods.filter((pod) => revisionOf(pod) !== view.currentRevision);
  if (view.currentRevision === view.updateRevision && view.currentRevision !== view.stableRevision) {
    return {
      writes: [],
      done: false,
      blocked: `${describe(sts)}: every pod already runs the canary revision ${view.updateRevision}, so there is no stable revision to return to; revert the template (\`kubectl slipway undo\`) to roll back`,
    };
  }
  if (view.partition < view.replicas) {
    return {
      writes: [partitionWrite(view, view.replicas, `abort on ${describe(sts)}: partition ${view.replicas}`)],
      done: false,
    };
  }
  if (!view.observed) return { writes: [], done: false };
  // Highest ordinal first, as the StatefulSet controller itself would take them.
  const writes = abortDeletes(
    view,
    [...off].sort((a, b) => ordinalOf(b) - ordinalOf(a)),
    { replicas: view.replicas, maxUnavailable: maxUnavailable(view) },
    (pod) =>
      `abort on ${describe(sts)}: delete pod ${pod.metadata?.name} (revision ${revisionOf(pod)}) so it returns on ${view.currentRevision}`,
  );
  return { writes, done: off.length === 0 };
}

/**
 * The native rollout is over: the controller observed the restored partition and every pod it is meant to update
 * (all of them, unless the user's own partition keeps some back) runs the update revision and is available.
 */
function releaseDone(view: StatefulSetView): boolean {
  const status = view.sts.status;
  const keptBack = originalPartition(view.original);
  const expected = Math.max(0, view.replicas - keptBack);
  const onUpdate = tally(view, podsOn(view, view.updateRevision));
  return (
    view.observed &&
    view.partition <= keptBack &&
    (status?.updatedReplicas ?? 0) >= expected &&
    onUpdate.pods >= expected &&
    onUpdate.available >= expected &&
    view.pods.length === view.replicas &&
    (keptBack > 0 || status?.currentRevision === status?.updateRevision)
  );
}

/** Patch restoring the original partition and/or forgetting the release (annotations, optionally the label). */
function restoreWrites(
  view: StatefulSetView,
  what: { partition: boolean; annotations: boolean; label: boolean },
  reason: string,
): Write[] {
  const wanted = originalPartition(view.original);
  const spec =
    what.partition && view.hasOriginal && view.partition !== wanted
      ? { updateStrategy: { rollingUpdate: { partition: wanted } } }
      : undefined;
  return finishPatch(view.sts, stsRef(view.sts), spec, what, reason);
}

export function observeStatefulSet(objects: StatefulSetObjects, context: AdapterContext): ObservedWorkload {
  const view = viewStatefulSet(objects, context.now);
  const sts = view.sts;
  const stable = tally(view, podsOn(view, view.stableRevision));
  const canary = tally(view, canaryPods(view));
  const other = tally(
    view,
    view.pods.filter(
      (pod) => revisionOf(pod) !== view.stableRevision && revisionOf(pod) !== view.updateRevision,
    ),
  );
  const rolledBack = parseRelease(sts) !== undefined && view.updateRevision === view.stableRevision;
  return {
    snapshot: {
      ref: stsRef(sts),
      kind: "StatefulSet",
      style: "statefulset-partition",
      replicas: view.replicas,
      stableRevision: view.stableRevision,
      canaryRevision: view.updateRevision,
      inRelease: view.updateRevision !== view.stableRevision,
      rolledBack,
      held: view.hasOriginal && sts.spec?.updateStrategy?.type !== "OnDelete",
      original: view.original,
      observed: view.observed,
      stable: { pods: stable.pods, ready: stable.ready, available: stable.available },
      canary: { pods: canary.pods, ready: canary.ready, available: canary.available },
      other: { pods: other.pods, ready: other.ready, available: other.available },
      revisions: revisionStates(view, revisionOf),
      recheckAt: earliest(stable.nextAvailableAt, canary.nextAvailableAt),
      problem: view.problem,
    },
    planHold: (canaryTarget) => planHold(view, canaryTarget),
    planBatch: (target, failureThreshold) => planBatch(view, target, failureThreshold),
    planAbort: () => planAbort(view),
    planRelease: () => {
      const partition = originalPartition(view.original);
      const writes = restoreWrites(
        view,
        { partition: true, annotations: false, label: false },
        `release ${describe(sts)}: original partition ${partition}`,
      );
      return { writes, done: writes.length === 0 && releaseDone(view) };
    },
    releaseDone: () => releaseDone(view),
    planCleanup: () => {
      const what = { partition: false, annotations: true, label: false };
      const writes = restoreWrites(view, what, `remove release annotations from ${describe(sts)}`);
      return { writes, done: writes.length === 0 };
    },
    planRestore: (options) => {
      const what = { partition: true, annotations: true, label: options.detach };
      const writes = restoreWrites(
        view,
        what,
        `restore ${describe(sts)}: original partition, release state removed`,
      );
      return { writes, done: writes.length === 0 };
    },
  };
}

export const statefulSetAdapter: WorkloadAdapter = {
  kind: "StatefulSet",
  style: "statefulset-partition",
  async load(io, ref, context) {
    const loaded = await loadWithPods<V1StatefulSet>(io, ref);
    return loaded && observeStatefulSet({ statefulSet: loaded.workload, pods: loaded.pods }, context);
  },
};
