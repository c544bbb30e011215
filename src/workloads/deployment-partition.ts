// Deployment, partition style (SPEC §5.3): the Deployment stays paused with strategy Recreate while Slipway
// creates the canary ReplicaSet itself and moves pods between ReplicaSets within the original maxSurge /
// maxUnavailable. Decision record: docs/decisions/deployment-partition-style.md.

import type { V1Deployment, V1ReplicaSet } from "@kubernetes/client-node";
import { removeReleaseAnnotations } from "./annotations.ts";
import {
  copiedAnnotations,
  DEPLOYMENT_REVISION,
  deploymentRef,
  DESIRED_REPLICAS,
  holdWrites,
  MAX_REPLICAS,
  replicaSetRef,
  restoreWrite,
  revisionNumber,
} from "./deployment-common.ts";
import {
  deploymentBatchPrologue,
  deploymentHoldPlan,
  deploymentReleasePlan,
  fullyRolledOut,
  loadDeployment,
  revisionStates,
  roleCounts,
  roleOf,
  viewDeployment,
  type DeploymentObjects,
  type DeploymentView,
  type ReplicaSetSide,
} from "./deployment-view.ts";
import type { IntOrPercent } from "./int-or-percent.ts";
import { POD_TEMPLATE_HASH } from "./pod-template.ts";
import { batchFrame } from "./batch.ts";
import { earliest, NO_PODS } from "./pods.ts";
import { planReplicaMoves, type ReplicaGroup, type ReplicaMove } from "./replica-moves.ts";
import type { AdapterContext, BatchPlan, ObservedWorkload, Plan, WorkloadAdapter, Write } from "./types.ts";

function describe(d: V1Deployment): string {
  return `Deployment ${d.metadata?.namespace}/${d.metadata?.name}`;
}

function isActive(s: ReplicaSetSide): boolean {
  return s.desired > 0 || s.tally.pods > 0;
}

function group(s: ReplicaSetSide | undefined, id: string, target: number): ReplicaGroup {
  const tally = s?.tally;
  return {
    id,
    desired: s?.desired ?? 0,
    pods: tally?.pods ?? 0,
    ready: tally?.ready ?? 0,
    available: tally?.available ?? 0,
    target,
  };
}

/** The canary ReplicaSet exactly as the Deployment controller would have made it, so it adopts it unchanged. */
function createCanary(view: DeploymentView, replicas: number): Write {
  const d = view.deployment;
  const namespace = d.metadata?.namespace ?? "";
  const hash = view.canaryRevision;
  const template = d.spec?.template ?? {};
  const labels = { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash };
  const selector = d.spec?.selector ?? {};
  const maxOld = Math.max(
    0,
    ...[view.stable, ...view.others].map((s) => (s === undefined ? 0 : revisionNumber(s.rs))),
  );
  const object: V1ReplicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: view.plannedCanaryName,
      namespace,
      labels,
      annotations: {
        ...copiedAnnotations(d),
        [DEPLOYMENT_REVISION]: String(maxOld + 1),
        [DESIRED_REPLICAS]: String(view.replicas),
        // The held Deployment's strategy is Recreate, whose surge is 0: what the controller would record.
        [MAX_REPLICAS]: String(view.replicas),
      },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: d.metadata?.name ?? "",
          uid: d.metadata?.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: { ...selector, matchLabels: { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash } },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
  };
  return {
    type: "create",
    target: replicaSetRef(namespace, view.plannedCanaryName),
    object,
    reason: `create canary ReplicaSet ${view.plannedCanaryName} with ${replicas} pod(s) for ${describe(d)}`,
  };
}

function scale(view: DeploymentView, s: ReplicaSetSide, move: ReplicaMove): Write {
  const name = s.rs.metadata?.name ?? "";
  const uid = s.rs.metadata?.uid;
  const replicas = s.rs.spec?.replicas;
  return {
    type: "patch",
    target: replicaSetRef(view.deployment.metadata?.namespace ?? "", name),
    patch: { spec: { replicas: move.to } },
    resourceVersion: s.rs.metadata?.resourceVersion ?? "",
    // The move was planned from this ReplicaSet's replicas (and the pods in the cache), not from its status:
    // guarding on its resourceVersion lost the race to every status update of a ReplicaSet whose pods were
    // becoming ready. Still stale if someone else scaled it, or it was replaced by another of the same name.
    ...(uid === undefined || replicas === undefined
      ? {}
      : { unchanged: { "/metadata/uid": uid, "/spec/replicas": replicas } }),
    reason: `scale ${roleOf(view, s)} ReplicaSet ${name} ${move.from}→${move.to}`,
  };
}

/** Turn target counts per ReplicaSet into the next safe writes (groups in order of preference to grow). */
function moveWrites(
  view: DeploymentView,
  targets: ReadonlyMap<ReplicaSetSide | "new-canary", number>,
): Write[] {
  const sides = new Map<string, ReplicaSetSide | "new-canary">();
  const groups: ReplicaGroup[] = [];
  for (const [s, target] of targets) {
    const id = s === "new-canary" ? view.plannedCanaryName : (s.rs.metadata?.name ?? "");
    sides.set(id, s);
    groups.push(group(s === "new-canary" ? undefined : s, id, target));
  }
  const moves = planReplicaMoves(groups, { replicas: view.replicas, ...view.bounds, quietController: true });
  return moves.map((move) => {
    const s = sides.get(move.id)!;
    return s === "new-canary" ? createCanary(view, move.to) : scale(view, s, move);
  });
}

function canaryKey(view: DeploymentView): ReplicaSetSide | "new-canary" {
  return view.canary ?? "new-canary";
}

function planBatch(view: DeploymentView, target: number, failureThreshold: IntOrPercent): BatchPlan {
  const d = view.deployment;
  const tally = view.canary !== undefined && view.canary !== view.stable ? view.canary.tally : NO_PODS;
  const frame = batchFrame(
    target,
    view.replicas,
    { updated: tally.pods, updatedReady: tally.available },
    failureThreshold,
  );
  const early = deploymentBatchPrologue(view, frame, true);
  if (early !== undefined) return early;
  // Never three revisions at once: a superseded canary drains before the new one grows.
  const othersBusy = view.others.some(isActive);
  const canaryTarget = othersBusy ? Math.min(view.canary?.desired ?? 0, frame.batch) : frame.batch;
  const stableTarget = view.replicas - canaryTarget;
  if (stableTarget > 0 && view.stable === undefined) {
    return frame.wait(
      `${describe(d)}: the stable ReplicaSet (revision ${view.stableRevision ?? "unknown"}) no longer exists, so ` +
        `${stableTarget} pod(s) cannot stay on stable; promote the release or roll the Deployment back`,
    );
  }
  const targets = new Map<ReplicaSetSide | "new-canary", number>([[canaryKey(view), canaryTarget]]);
  if (view.stable !== undefined) targets.set(view.stable, stableTarget);
  for (const other of view.others) targets.set(other, 0);
  const writes = moveWrites(view, targets);
  if (writes.length > 0) return frame.act(writes);
  return { ...frame.act([]), ready: !othersBusy && frame.readyByPods };
}

function planAbort(view: DeploymentView): Plan {
  const d = view.deployment;
  const hold = holdWrites(d, view.original, true);
  if (hold.length > 0) return { writes: hold, done: false };
  if (!view.observed) return { writes: [], done: false };
  const stable = view.stable;
  const drained = [view.canary, ...view.others].filter(
    (s): s is ReplicaSetSide => s !== undefined && s !== stable,
  );
  if (stable === undefined) {
    const stranded = drained.some(isActive);
    const blocked = `${describe(d)}: cannot move pods back, the stable ReplicaSet (revision ${view.stableRevision ?? "unknown"}) no longer exists; roll the Deployment back to a known revision`;
    return { writes: [], done: !stranded, ...(stranded && { blocked }) };
  }
  // Stable grows first; the canary shrinks first (its unready pods go at once, they cost no availability).
  const targets = new Map<ReplicaSetSide | "new-canary", number>([[stable, view.replicas]]);
  for (const s of [...view.others, ...(view.canary && view.canary !== stable ? [view.canary] : [])])
    targets.set(s, 0);
  const writes = moveWrites(view, targets);
  const done = writes.length === 0 && !drained.some(isActive) && stable.desired === view.replicas;
  return { writes, done };
}

function planCleanup(view: DeploymentView): Plan {
  const d = view.deployment;
  const annotations = removeReleaseAnnotations(d);
  if (Object.keys(annotations).length === 0) return { writes: [], done: true };
  const write: Write = {
    type: "patch",
    target: deploymentRef(d),
    patch: { metadata: { annotations } },
    resourceVersion: d.metadata?.resourceVersion ?? "",
    reason: `remove release annotations from ${describe(d)}`,
  };
  return { writes: [write], done: false };
}

export function observeDeploymentPartition(
  objects: DeploymentObjects,
  context: AdapterContext,
): ObservedWorkload {
  const view = viewDeployment(objects, context.now, context.stableRevision);
  const d = view.deployment;
  const counts = roleCounts(view);
  const strategy = d.spec?.strategy;
  const held =
    d.spec?.paused === true &&
    strategy?.type === "Recreate" &&
    strategy.rollingUpdate == null &&
    view.hasOriginal;
  const canaryIsStable = view.canary !== undefined && view.canary === view.stable;
  return {
    snapshot: {
      ref: deploymentRef(d),
      kind: "Deployment",
      style: "partition",
      replicas: view.replicas,
      stableRevision: view.stableRevision,
      canaryRevision: view.canaryRevision,
      inRelease: view.canaryRevision !== view.stableRevision,
      rolledBack: canaryIsStable && view.releaseAnnotated,
      held,
      original: view.original.ok ? view.original.value : undefined,
      observed: view.observed,
      ...counts,
      revisions: revisionStates(view),
      recheckAt: earliest(view.nextAvailableAt),
      problem: view.problem,
    },
    planHold: () => deploymentHoldPlan(view, true),
    planBatch: (target, failureThreshold) => planBatch(view, target, failureThreshold),
    planAbort: () => planAbort(view),
    planRelease: () => deploymentReleasePlan(view),
    releaseDone: () => fullyRolledOut(view),
    planCleanup: () => planCleanup(view),
    planRestore: (options) => {
      const write = restoreWrite(
        d,
        view.original,
        { annotations: true, label: options.detach },
        `restore ${describe(d)}: original strategy, unpaused, release state removed`,
      );
      return { writes: write ? [write] : [], done: write === undefined };
    },
  };
}

export const deploymentPartitionAdapter: WorkloadAdapter = {
  kind: "Deployment",
  style: "partition",
  async load(io, ref, context) {
    const objects = await loadDeployment(io, ref);
    return objects === undefined ? undefined : observeDeploymentPartition(objects, context);
  },
};
