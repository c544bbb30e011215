// OpenKruise CloneSet (SPEC §4.1, §5.3): held by `updateStrategy.partition: "100%"` with `paused: false`; a batch
// of b canary pods is partition N − b (an integer, so it matches canaryReplicasFor exactly). Readiness needs the
// pods and the CloneSet's status (updatedReplicas, updatedReadyReplicas) to agree. kruise does not move updated
// pods back when the partition goes up (CloneSetPartitionRollback is off by default), so an abort deletes the
// canary pods and kruise recreates them on the current revision.

import type { V1Pod } from "@kubernetes/client-node";
import { parseRelease } from "./annotations.ts";
import { batchFrame } from "./batch.ts";
import {
  cloneSetRef,
  describeCloneSet,
  maxUnavailable,
  originalPartition,
  partitionFor,
  podsOn,
  revisionOf,
  tally,
  viewCloneSet,
} from "./cloneset-view.ts";
import type { CloneSet, CloneSetObjects, CloneSetView } from "./cloneset-view.ts";
import type { IntOrPercent } from "./int-or-percent.ts";
import { abortDeletes, finishPatch, holdPatch, loadWithPods, revisionStates } from "./partition-common.ts";
import { earliest } from "./pods.ts";
import type { AdapterContext, BatchPlan, ObservedWorkload, Plan, WorkloadAdapter, Write } from "./types.ts";

export type { CloneSet, CloneSetObjects } from "./cloneset-view.ts";

/** Patch setting the partition (and `paused: false`), saving the original strategy if nobody did yet. */
function holdWrite(view: CloneSetView, partition: IntOrPercent, reason: string): Write {
  const strategy: Record<string, unknown> = { partition };
  if (view.paused) strategy["paused"] = false;
  return holdPatch(view.cs, cloneSetRef(view.cs), { updateStrategy: strategy }, reason);
}

function canaryPods(view: CloneSetView): V1Pod[] {
  return view.updateRevision === view.stableRevision ? [] : podsOn(view, view.updateRevision);
}

function planHold(view: CloneSetView, canaryTarget: number): Plan {
  if (view.problem !== undefined) return { writes: [], done: false, blocked: view.problem };
  const floor = view.replicas - Math.max(0, Math.min(canaryTarget, view.replicas));
  if (view.partition >= floor && view.hasOriginal && !view.paused) return { writes: [], done: true };
  // Never lower a partition here; a high enough one is kept as written.
  const partition =
    view.partition >= floor
      ? (view.rawPartition ?? "100%")
      : partitionFor(view.replicas - floor, view.replicas);
  return {
    writes: [holdWrite(view, partition, `hold ${describeCloneSet(view.cs)}: partition ${partition}`)],
    done: false,
  };
}

function planBatch(view: CloneSetView, target: number, failureThreshold: IntOrPercent): BatchPlan {
  const counts = tally(view, canaryPods(view));
  const status = view.cs.status;
  // Both the pods and the controller must agree a pod is updated, and that it is ready.
  const updated = Math.min(counts.pods, status?.updatedReplicas ?? counts.pods);
  const updatedReady = Math.min(counts.available, status?.updatedReadyReplicas ?? counts.available);
  const frame = batchFrame(target, view.replicas, { updated, updatedReady }, failureThreshold);
  if (view.problem !== undefined) return frame.wait(view.problem);
  if (!view.observed) return frame.wait();
  if (view.updateRevision === view.stableRevision) {
    return frame.wait(
      `${describeCloneSet(view.cs)}: its template is the stable revision ${view.stableRevision}; nothing to release`,
    );
  }
  const partition = partitionFor(frame.batch, view.replicas);
  if (view.partition !== view.replicas - frame.batch || view.paused || !view.hasOriginal) {
    const reason = `${describeCloneSet(view.cs)}: partition ${String(view.rawPartition ?? 0)}→${partition} (${frame.batch} canary pod(s))`;
    return frame.act([holdWrite(view, partition, reason)]);
  }
  return { ...frame.act([]), ready: frame.readyByPods };
}

function planAbort(view: CloneSetView): Plan {
  const cs = view.cs;
  if (view.problem !== undefined) return { writes: [], done: false, blocked: view.problem };
  if (view.currentRevision === view.updateRevision && view.currentRevision !== view.stableRevision) {
    return {
      writes: [],
      done: false,
      blocked: `${describeCloneSet(cs)}: every pod already runs the canary revision ${view.updateRevision}, so there is no stable revision to return to; revert the template (\`kubectl slipway undo\`) to roll back`,
    };
  }
  if (view.partition < view.replicas || view.paused) {
    return {
      writes: [holdWrite(view, "100%", `abort on ${describeCloneSet(cs)}: partition 100%`)],
      done: false,
    };
  }
  if (!view.observed) return { writes: [], done: false };
  // Pods off the current revision go; kruise recreates them on it because the partition keeps every pod old.
  const off = view.pods
    .filter((pod) => revisionOf(pod) !== view.currentRevision)
    .sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  const writes = abortDeletes(
    view,
    off,
    { replicas: view.replicas, maxUnavailable: maxUnavailable(view) },
    (pod) =>
      `abort on ${describeCloneSet(cs)}: delete pod ${pod.metadata?.name} (revision ${revisionOf(pod)}) so it returns on ${view.currentRevision}`,
  );
  return { writes, done: off.length === 0 && view.pods.length === view.replicas };
}

/**
 * The native rollout is over: kruise observed the restored strategy and every pod it is meant to update (all
 * of them, unless the user's own partition keeps some back) runs the update revision and is available. A user
 * whose CloneSet was paused before the release gets it paused again; then nothing more moves.
 */
function releaseDone(view: CloneSetView): boolean {
  const status = view.cs.status;
  const keptBack = originalPartition(view);
  if (view.original?.updateStrategy?.paused === true) return view.observed && view.paused;
  const expected = Math.max(0, view.replicas - keptBack);
  const onUpdate = tally(view, podsOn(view, view.updateRevision));
  return (
    view.observed &&
    !view.paused &&
    view.partition <= keptBack &&
    (status?.updatedReplicas ?? 0) >= expected &&
    (status?.updatedReadyReplicas ?? 0) >= expected &&
    onUpdate.pods >= expected &&
    onUpdate.available >= expected &&
    view.pods.length === view.replicas &&
    (keptBack > 0 || status?.currentRevision === status?.updateRevision)
  );
}

/** Patch restoring the original partition/paused and/or forgetting the release (annotations, optionally the label). */
function restoreWrites(
  view: CloneSetView,
  what: { strategy: boolean; annotations: boolean; label: boolean },
  reason: string,
): Write[] {
  let spec: Record<string, unknown> | undefined;
  if (what.strategy && view.hasOriginal) {
    // Restored as the user wrote them; absent before the hold = removed (kruise defaults them again).
    const saved = view.original?.updateStrategy;
    const strategy: Record<string, unknown> = {};
    if ((saved?.partition ?? null) !== (view.rawPartition ?? null))
      strategy["partition"] = saved?.partition ?? null;
    if ((saved?.paused ?? null) !== (view.rawPaused ?? null)) strategy["paused"] = saved?.paused ?? null;
    if (Object.keys(strategy).length > 0) spec = { updateStrategy: strategy };
  }
  return finishPatch(view.cs, cloneSetRef(view.cs), spec, what, reason);
}

export function observeCloneSet(objects: CloneSetObjects, context: AdapterContext): ObservedWorkload {
  const view = viewCloneSet(objects, context.now);
  const cs = view.cs;
  const stable = tally(view, podsOn(view, view.stableRevision));
  const canary = tally(view, canaryPods(view));
  const other = tally(
    view,
    view.pods.filter(
      (pod) => revisionOf(pod) !== view.stableRevision && revisionOf(pod) !== view.updateRevision,
    ),
  );
  const strategyWrites = (what: { annotations: boolean; label: boolean }, reason: string) =>
    restoreWrites(view, { strategy: true, ...what }, reason);
  return {
    snapshot: {
      ref: cloneSetRef(cs),
      kind: "CloneSet",
      style: "cloneset-partition",
      replicas: view.replicas,
      stableRevision: view.stableRevision,
      canaryRevision: view.updateRevision,
      inRelease: view.updateRevision !== view.stableRevision,
      rolledBack: parseRelease(cs) !== undefined && view.updateRevision === view.stableRevision,
      held: view.hasOriginal,
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
      const writes = strategyWrites(
        { annotations: false, label: false },
        `release ${describeCloneSet(cs)}: original update strategy (partition ${String(view.original?.updateStrategy?.partition ?? 0)})`,
      );
      return { writes, done: writes.length === 0 && releaseDone(view) };
    },
    releaseDone: () => releaseDone(view),
    planCleanup: () => {
      const what = { strategy: false, annotations: true, label: false };
      const writes = restoreWrites(view, what, `remove release annotations from ${describeCloneSet(cs)}`);
      return { writes, done: writes.length === 0 };
    },
    planRestore: (options) => {
      const writes = strategyWrites(
        { annotations: true, label: options.detach },
        `restore ${describeCloneSet(cs)}: original update strategy, release state removed`,
      );
      return { writes, done: writes.length === 0 };
    },
  };
}

export const cloneSetAdapter: WorkloadAdapter = {
  kind: "CloneSet",
  style: "cloneset-partition",
  async load(io, ref, context) {
    const loaded = await loadWithPods<CloneSet>(io, ref);
    return loaded && observeCloneSet({ cloneSet: loaded.workload, pods: loaded.pods }, context);
  },
};
