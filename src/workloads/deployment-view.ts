// Reading a Deployment and its ReplicaSets into roles (stable / canary / other), shared by both Deployment styles.

import type { V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL } from "../api/names.ts";
import {
  parseDeploymentOriginal,
  parseRelease,
  type DeploymentOriginal,
  type Parsed,
} from "./annotations.ts";
import type { BatchFrame } from "./batch.ts";
import {
  findNewReplicaSet,
  holdWrites,
  restoreWrite,
  hashOf,
  isObserved,
  originalBounds,
  ownedReplicaSets,
  revisionNumber,
  specReplicas,
  tallyReplicaSet,
} from "./deployment-common.ts";
import { resolveFenceposts, type RollingBounds } from "./int-or-percent.ts";
import { podTemplateHash, replicaSetName } from "./pod-template.ts";
import { addCounts, NO_PODS, podsByOwner, type PodTally } from "./pods.ts";
import { labelSelectorString, type WorkloadIO } from "./io.ts";
import type { BatchPlan, ObjectRef, Plan, RevisionRole, RevisionState } from "./types.ts";

export interface DeploymentObjects {
  readonly deployment: V1Deployment;
  /** ReplicaSets matching the Deployment's selector in its namespace; the ones it controls are picked out here. */
  readonly replicaSets: readonly V1ReplicaSet[];
  /** Pods matching the Deployment's selector. */
  readonly pods: readonly V1Pod[];
}

export interface ReplicaSetSide {
  readonly rs: V1ReplicaSet;
  readonly revision: string;
  readonly desired: number;
  readonly tally: PodTally;
}

export interface DeploymentView {
  readonly deployment: V1Deployment;
  readonly replicas: number;
  /** The ReplicaSet for the Deployment's template, or where Slipway will create it. */
  readonly canary: ReplicaSetSide | undefined;
  readonly canaryRevision: string;
  readonly plannedCanaryName: string;
  readonly stable: ReplicaSetSide | undefined;
  readonly stableRevision: string | undefined;
  readonly others: readonly ReplicaSetSide[];
  readonly original: Parsed<DeploymentOriginal>;
  readonly hasOriginal: boolean;
  readonly releaseAnnotated: boolean;
  readonly bounds: RollingBounds;
  readonly problem: string | undefined;
  readonly observed: boolean;
  readonly nextAvailableAt: number | undefined;
}

function side(rs: V1ReplicaSet, byOwner: ReadonlyMap<string, readonly V1Pod[]>, now: Date): ReplicaSetSide {
  return {
    rs,
    revision: hashOf(rs),
    desired: rs.spec?.replicas ?? 0,
    tally: tallyReplicaSet(rs, byOwner, now),
  };
}

function isActive(s: ReplicaSetSide): boolean {
  return s.desired > 0 || s.tally.pods > 0;
}

/** The hash (and name) Slipway gives the canary ReplicaSet: the first collision count whose name is free. */
function plannedHash(deployment: V1Deployment, all: readonly V1ReplicaSet[]): { hash: string; name: string } {
  const taken = new Set(all.map((rs) => rs.metadata?.name));
  const name = deployment.metadata?.name ?? "";
  for (let collisions = 0; ; collisions++) {
    const hash = podTemplateHash(deployment.spec?.template ?? {}, collisions);
    if (!taken.has(replicaSetName(name, hash))) return { hash, name: replicaSetName(name, hash) };
  }
}

export function viewDeployment(objects: DeploymentObjects, now: Date): DeploymentView {
  const deployment = objects.deployment;
  const replicas = specReplicas(deployment);
  const byOwner = podsByOwner(objects.pods);
  const owned = ownedReplicaSets(deployment, objects.replicaSets).map((rs) => side(rs, byOwner, now));
  const newRs = findNewReplicaSet(
    deployment,
    owned.map((s) => s.rs),
  );
  const canary = owned.find((s) => s.rs === newRs);
  const planned = plannedHash(deployment, objects.replicaSets);
  const release = parseRelease(deployment);
  const old = owned.filter((s) => s !== canary);

  // Stable: the revision the release started from; without that record, the newest old ReplicaSet with pods
  // (what `kubectl rollout undo` would return to); with no old pods at all, the workload is simply at rest.
  let stable: ReplicaSetSide | undefined;
  let stableRevision: string | undefined;
  // (The webhook writes "" when it cannot tell: that counts as no record.)
  if (release?.stableRevision) {
    stableRevision = release.stableRevision;
    stable = owned.find((s) => s.revision === stableRevision);
  } else {
    const active = old.filter(isActive).sort((a, b) => revisionNumber(b.rs) - revisionNumber(a.rs));
    stable = active[0] ?? canary;
    stableRevision = stable?.revision;
  }
  const others = old.filter((s) => s !== stable);

  const original = parseDeploymentOriginal(deployment);
  // Pods still have to move (an abort must always work), so unreadable original bounds fall back to
  // Kubernetes' defaults; the problem is reported all the same.
  // (Never the live strategy then: while held it is Slipway's Recreate.)
  let problem = original.ok ? undefined : original.problem;
  let bounds: RollingBounds = resolveFenceposts("25%", "25%", replicas);
  try {
    if (original.ok) bounds = originalBounds(deployment, original.value, replicas);
  } catch (error) {
    problem ??= `Deployment ${deployment.metadata?.name}: ${(error as Error).message}`;
  }
  const tallies = owned.map((s) => s.tally.nextAvailableAt).filter((t): t is number => t !== undefined);
  return {
    deployment,
    replicas,
    canary,
    canaryRevision: canary?.revision ?? planned.hash,
    plannedCanaryName: planned.name,
    stable,
    stableRevision,
    others,
    original,
    hasOriginal: deployment.metadata?.annotations?.[ANNOTATION_ORIGINAL] !== undefined,
    releaseAnnotated: release !== undefined,
    bounds,
    problem,
    observed: isObserved(deployment),
    nextAvailableAt: tallies.length === 0 ? undefined : Math.min(...tallies),
  };
}

export function roleOf(view: DeploymentView, s: ReplicaSetSide): RevisionRole {
  if (s === view.stable) return "stable";
  return s === view.canary ? "canary" : "other";
}

/** Per-revision detail for status and the CLI. */
export function revisionStates(view: DeploymentView): RevisionState[] {
  const sides = [view.canary, view.stable, ...view.others].filter(
    (s, i, all): s is ReplicaSetSide => s !== undefined && all.indexOf(s) === i,
  );
  const states: RevisionState[] = sides.map((s) => ({
    revision: s.revision,
    role: roleOf(view, s),
    desired: s.desired,
    objectName: s.rs.metadata?.name,
    pods: s.tally.pods,
    ready: s.tally.ready,
    available: s.tally.available,
  }));
  if (view.canary === undefined) {
    states.unshift({
      revision: view.canaryRevision,
      role: "canary",
      desired: undefined,
      objectName: undefined,
      ...NO_PODS,
    });
  }
  return states;
}

/** Pods by role, for the snapshot. The canary ReplicaSet counts as stable once the template was rolled back. */
export function roleCounts(view: DeploymentView) {
  const canary = view.canary !== undefined && view.canary !== view.stable ? view.canary.tally : NO_PODS;
  return {
    stable: view.stable?.tally ?? NO_PODS,
    canary,
    other: addCounts(...view.others.map((s) => s.tally)),
  };
}

/** Read a Deployment with the ReplicaSets and pods its selector matches; undefined when it does not exist. */
export async function loadDeployment(io: WorkloadIO, ref: ObjectRef): Promise<DeploymentObjects | undefined> {
  const deployment = (await io.get(ref)) as V1Deployment | undefined;
  if (deployment === undefined) return undefined;
  const selector = deployment.spec?.selector;
  if (selector === undefined) return { deployment, replicaSets: [], pods: [] };
  const labelSelector = labelSelectorString(selector);
  const [replicaSets, pods] = await Promise.all([
    io.list({ apiVersion: "apps/v1", kind: "ReplicaSet", namespace: ref.namespace, labelSelector }),
    io.list({ apiVersion: "v1", kind: "Pod", namespace: ref.namespace, labelSelector }),
  ]);
  return { deployment, replicaSets: replicaSets as V1ReplicaSet[], pods: pods as V1Pod[] };
}

/** The native rollout is over: unpaused, observed, every pod on the template's ReplicaSet and available. */
export function fullyRolledOut(view: DeploymentView): boolean {
  const canary = view.canary;
  if (view.deployment.spec?.paused === true || !view.observed || canary === undefined) return false;
  const rest = [view.stable, ...view.others].filter(
    (s): s is ReplicaSetSide => s !== undefined && s !== canary,
  );
  return (
    canary.desired === view.replicas &&
    canary.tally.pods === view.replicas &&
    canary.tally.available >= view.replicas &&
    rest.every((s) => s.tally.pods === 0)
  );
}

/**
 * What both Deployment styles check before moving pods: a readable original, the hold in place and observed by
 * the Deployment controller (until then it may still act on the old spec), and a release to make at all.
 */
export function deploymentBatchPrologue(
  view: DeploymentView,
  frame: BatchFrame,
  recreate: boolean,
): BatchPlan | undefined {
  const d = view.deployment;
  if (!view.original.ok) return frame.wait(view.problem);
  const hold = holdWrites(d, view.original, recreate);
  if (hold.length > 0) return frame.act(hold);
  if (!view.observed) return frame.wait();
  if (view.canary !== undefined && view.canary === view.stable) {
    const name = `Deployment ${d.metadata?.namespace}/${d.metadata?.name}`;
    return frame.wait(
      `${name}: its template is the stable revision ${view.stableRevision}; nothing to release`,
    );
  }
  return undefined;
}

export function deploymentHoldPlan(view: DeploymentView, recreate: boolean): Plan {
  const writes = holdWrites(view.deployment, view.original, recreate);
  return {
    writes,
    done: writes.length === 0 && view.original.ok,
    ...(view.problem && { blocked: view.problem }),
  };
}

/** Release: original strategy and progress deadline back, unpaused; done once the native rollout is over. */
export function deploymentReleasePlan(view: DeploymentView): Plan {
  const d = view.deployment;
  const reason = `release Deployment ${d.metadata?.namespace}/${d.metadata?.name}: original strategy, unpaused`;
  const write = restoreWrite(d, view.original, { annotations: false, label: false }, reason);
  return { writes: write ? [write] : [], done: write === undefined && fullyRolledOut(view) };
}
