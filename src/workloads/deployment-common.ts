// What both Deployment styles need: which ReplicaSet is which, the original rolling bounds, and the
// hold / release / restore patches of the Deployment itself.

import type { V1Deployment, V1DeploymentStrategy, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL, LABEL_MANAGED_BY } from "../api/names.ts";
import { removeReleaseAnnotations, type DeploymentOriginal, type Parsed } from "./annotations.ts";
import { resolveFenceposts, type RollingBounds } from "./int-or-percent.ts";
import { canonical, POD_TEMPLATE_HASH, templatesEqualIgnoringHash } from "./pod-template.ts";
import { controllerUid, countPods, timeOf, type PodTally } from "./pods.ts";
import type { ObjectRef, Write } from "./types.ts";

export const DEPLOYMENT_REVISION = "deployment.kubernetes.io/revision";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
/** Annotations the Deployment controller never copies onto its ReplicaSets (deploymentutil.annotationsToSkip). */
const NOT_COPIED_TO_REPLICASETS = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  DEPLOYMENT_REVISION,
  "deployment.kubernetes.io/revision-history",
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  "deprecated.deployment.rollback.to",
]);

/** Kubernetes' defaults for a RollingUpdate Deployment that does not say otherwise. */
export const DEFAULT_ROLLING_STRATEGY: V1DeploymentStrategy = {
  type: "RollingUpdate",
  rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
};

export function deploymentRef(deployment: V1Deployment): ObjectRef {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace: deployment.metadata?.namespace ?? "",
    name: deployment.metadata?.name ?? "",
  };
}

export function replicaSetRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", namespace, name };
}

export function specReplicas(object: { spec?: { replicas?: number } }): number {
  return object.spec?.replicas ?? 1;
}

export function isObserved(deployment: V1Deployment): boolean {
  return (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
}

export function revisionNumber(rs: V1ReplicaSet): number {
  const value = Number.parseInt(rs.metadata?.annotations?.[DEPLOYMENT_REVISION] ?? "", 10);
  return Number.isNaN(value) ? 0 : value;
}

export function hashOf(rs: V1ReplicaSet): string {
  return rs.metadata?.labels?.[POD_TEMPLATE_HASH] ?? rs.metadata?.name ?? "";
}

/** ReplicaSets the Deployment controls, without those being deleted, oldest first (as the controller sorts). */
export function ownedReplicaSets(deployment: V1Deployment, all: readonly V1ReplicaSet[]): V1ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  return all
    .filter((rs) => uid !== undefined && controllerUid(rs) === uid && rs.metadata?.deletionTimestamp == null)
    .sort((a, b) => {
      const at = timeOf(a.metadata?.creationTimestamp) ?? 0;
      const bt = timeOf(b.metadata?.creationTimestamp) ?? 0;
      return at === bt ? (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "") : at - bt;
    });
}

/** deploymentutil.FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet(
  deployment: V1Deployment,
  owned: readonly V1ReplicaSet[],
): V1ReplicaSet | undefined {
  return owned.find((rs) => templatesEqualIgnoringHash(rs.spec?.template, deployment.spec?.template));
}

/** Pods controlled by `rs`, tallied. */
export function tallyReplicaSet(
  rs: V1ReplicaSet | undefined,
  podsByOwner: ReadonlyMap<string, readonly V1Pod[]>,
  now: Date,
): PodTally {
  const uid = rs?.metadata?.uid;
  const pods = uid === undefined ? [] : (podsByOwner.get(uid) ?? []);
  return countPods(pods, rs?.spec?.minReadySeconds ?? 0, now);
}

/**
 * The bounds of the user's own strategy: the saved original when held, else the live spec. A Recreate strategy
 * means "no extra pods, any number unavailable".
 */
export function originalBounds(
  deployment: V1Deployment,
  original: DeploymentOriginal | undefined,
  replicas: number,
): RollingBounds {
  const strategy = original?.strategy ?? deployment.spec?.strategy ?? DEFAULT_ROLLING_STRATEGY;
  if (strategy.type === "Recreate") return { maxSurge: 0, maxUnavailable: replicas };
  const rolling = strategy.rollingUpdate ?? DEFAULT_ROLLING_STRATEGY.rollingUpdate;
  return resolveFenceposts(rolling?.maxSurge ?? "25%", rolling?.maxUnavailable ?? "25%", replicas);
}

/** What planHold saves when no original was saved yet (the webhook normally saves it first). */
export function currentAsOriginal(deployment: V1Deployment): DeploymentOriginal {
  const strategy = deployment.spec?.strategy;
  return {
    kind: "Deployment",
    paused: deployment.spec?.paused ?? false,
    strategy:
      strategy === undefined
        ? undefined
        : {
            type: strategy.type as "RollingUpdate" | "Recreate" | undefined,
            rollingUpdate: strategy.rollingUpdate,
          },
    progressDeadlineSeconds: deployment.spec?.progressDeadlineSeconds,
  };
}

/**
 * Re-assert the hold: paused, plus (partition style) Recreate so the paused controller never scales ReplicaSets
 * proportionally. The original is saved in the same write when missing, so "Recreate without an original" never
 * exists. Never overwrites a saved original.
 */
export function holdWrites(
  deployment: V1Deployment,
  original: Parsed<DeploymentOriginal>,
  recreate: boolean,
): Write[] {
  const paused = deployment.spec?.paused === true;
  const strategy = deployment.spec?.strategy;
  const isRecreate = strategy?.type === "Recreate" && strategy.rollingUpdate == null;
  const hasOriginal = deployment.metadata?.annotations?.[ANNOTATION_ORIGINAL] !== undefined;
  if (paused && (!recreate || isRecreate) && hasOriginal) return [];
  if (!original.ok) return []; // a malformed original is reported as a problem; never guess over it
  const spec: Record<string, unknown> = { paused: true };
  if (recreate) spec["strategy"] = { type: "Recreate", rollingUpdate: null };
  const patch: Record<string, unknown> = { spec };
  if (!hasOriginal) {
    patch["metadata"] = {
      annotations: { [ANNOTATION_ORIGINAL]: JSON.stringify(currentAsOriginal(deployment)) },
    };
  }
  return [
    {
      type: "patch",
      target: deploymentRef(deployment),
      patch,
      resourceVersion: deployment.metadata?.resourceVersion ?? "",
      reason: `hold Deployment ${deployment.metadata?.name}: paused${recreate ? ", strategy Recreate" : ""}`,
    },
  ];
}

/**
 * Hand the Deployment back to its native controller: original strategy (Kubernetes' default when the saved one
 * is unknown, never Recreate-by-Slipway, so unpausing can never recreate every pod at once), original
 * progressDeadlineSeconds, and always unpaused (SPEC §5.1: a Deployment is never left paused).
 */
export function releaseSpecPatch(
  deployment: V1Deployment,
  original: Parsed<DeploymentOriginal>,
): Record<string, unknown> | undefined {
  const saved = original.ok ? original.value : undefined;
  const hasOriginal = deployment.metadata?.annotations?.[ANNOTATION_ORIGINAL] !== undefined;
  const spec: Record<string, unknown> = {};
  if (deployment.spec?.paused === true) spec["paused"] = false;
  if (hasOriginal) {
    const strategy = saved?.strategy ?? DEFAULT_ROLLING_STRATEGY;
    const wanted = {
      type: strategy.type ?? "RollingUpdate",
      rollingUpdate:
        strategy.type === "Recreate"
          ? null
          : (strategy.rollingUpdate ?? DEFAULT_ROLLING_STRATEGY.rollingUpdate),
    };
    const live = deployment.spec?.strategy;
    const sameRolling =
      JSON.stringify(canonical(live?.rollingUpdate)) === JSON.stringify(canonical(wanted.rollingUpdate));
    if (live?.type !== wanted.type || !sameRolling) {
      spec["strategy"] = wanted;
    }
    const deadline = saved?.progressDeadlineSeconds;
    if (typeof deadline === "number" && deployment.spec?.progressDeadlineSeconds !== deadline) {
      spec["progressDeadlineSeconds"] = deadline;
    }
  }
  return Object.keys(spec).length === 0 ? undefined : spec;
}

/** Release + (optionally) forget: one write, so a crash can never leave "unpaused but still Recreate". */
export function restoreWrite(
  deployment: V1Deployment,
  original: Parsed<DeploymentOriginal>,
  forget: { annotations: boolean; label: boolean },
  reason: string,
): Write | undefined {
  const spec = releaseSpecPatch(deployment, original);
  const annotations = forget.annotations ? removeReleaseAnnotations(deployment) : {};
  const labels: Record<string, null> =
    forget.label && deployment.metadata?.labels?.[LABEL_MANAGED_BY] !== undefined
      ? { [LABEL_MANAGED_BY]: null }
      : {};
  const metadata: Record<string, unknown> = {};
  if (Object.keys(annotations).length > 0) metadata["annotations"] = annotations;
  if (Object.keys(labels).length > 0) metadata["labels"] = labels;
  if (spec === undefined && Object.keys(metadata).length === 0) return undefined;
  const patch: Record<string, unknown> = {};
  if (spec !== undefined) patch["spec"] = spec;
  if (Object.keys(metadata).length > 0) patch["metadata"] = metadata;
  return {
    type: "patch",
    target: deploymentRef(deployment),
    patch,
    resourceVersion: deployment.metadata?.resourceVersion ?? "",
    reason,
  };
}

/** Annotations the Deployment controller would copy onto a new ReplicaSet (so it has nothing to update). */
export function copiedAnnotations(deployment: V1Deployment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (!NOT_COPIED_TO_REPLICASETS.has(key)) out[key] = value;
  }
  return out;
}
