// An OpenKruise CloneSet (apps.kruise.io/v1alpha1) as the CloneSet planners read it: partition resolved the way
// kruise resolves it, revisions in the pod-template-hash form (SPEC §5.4), the pods it controls.
// Verified on the real controller (test/e2e/kruise-cloneset.test.ts): kruise labels each pod with
// `controller-revision-hash: <name>-<hash>` (= status.updateRevision) and `pod-template-hash: <hash>`.

import type { V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL } from "../api/names.ts";
import { parseCloneSetOriginal, parseRelease } from "./annotations.ts";
import type { CloneSetOriginal } from "./annotations.ts";
import { scaledValue } from "./int-or-percent.ts";
import type { IntOrPercent } from "./int-or-percent.ts";
import { CONTROLLER_REVISION_HASH, POD_TEMPLATE_HASH } from "./pod-template.ts";
import { controllerUid, countPods, isPodActive } from "./pods.ts";
import type { PodTally } from "./pods.ts";
import type { KubeObject, ObjectRef } from "./types.ts";

export const CLONESET_API_VERSION = "apps.kruise.io/v1alpha1";
/** kruise's default `updateStrategy.maxUnavailable` (DefaultCloneSetMaxUnavailable). */
const DEFAULT_MAX_UNAVAILABLE = "20%";

/** The fields of a CloneSet Slipway reads (plain JSON as the API server sends it). */
export interface CloneSet extends KubeObject {
  spec?: {
    replicas?: number;
    selector?: V1LabelSelector;
    minReadySeconds?: number;
    updateStrategy?: {
      type?: string;
      partition?: IntOrPercent | null;
      paused?: boolean | null;
      maxUnavailable?: IntOrPercent | null;
      maxSurge?: IntOrPercent | null;
    };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    updatedReadyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

export interface CloneSetObjects {
  readonly cloneSet: CloneSet;
  /** Pods matching the CloneSet's selector; the ones it controls are picked out here. */
  readonly pods: readonly V1Pod[];
}

export interface CloneSetView {
  readonly cs: CloneSet;
  readonly replicas: number;
  /** `updateStrategy.partition` as written ("100%", 3, absent). */
  readonly rawPartition: IntOrPercent | undefined;
  /** Pods kruise keeps on old revisions for that partition. */
  readonly partition: number;
  /** `updateStrategy.paused` as written (the hold writes `false` even where the user had none). */
  readonly rawPaused: boolean | undefined;
  readonly paused: boolean;
  readonly original: CloneSetOriginal | undefined;
  readonly hasOriginal: boolean;
  readonly problem: string | undefined;
  readonly observed: boolean;
  /** Short hashes (pod-template-hash form) of status.currentRevision / status.updateRevision. */
  readonly currentRevision: string | undefined;
  readonly updateRevision: string | undefined;
  readonly stableRevision: string | undefined;
  readonly pods: readonly V1Pod[];
  readonly minReadySeconds: number;
  readonly now: Date;
}

export function describeCloneSet(cs: CloneSet): string {
  return `CloneSet ${cs.metadata?.namespace}/${cs.metadata?.name}`;
}

export function cloneSetRef(cs: CloneSet): ObjectRef {
  return {
    apiVersion: CLONESET_API_VERSION,
    kind: "CloneSet",
    namespace: cs.metadata?.namespace ?? "",
    name: cs.metadata?.name ?? "",
  };
}

/** "web-6d5f7c9b8" → "6d5f7c9b8": kruise's GetShortHash (the hash is the last '-' part of a revision name). */
export function shortHash(revision: string | undefined): string | undefined {
  if (revision === undefined || revision === "") return undefined;
  return revision.slice(revision.lastIndexOf("-") + 1);
}

export function revisionOf(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels;
  return labels?.[POD_TEMPLATE_HASH] ?? shortHash(labels?.[CONTROLLER_REVISION_HASH]);
}

/**
 * Pods kruise keeps on old revisions (util.CalculatePartitionReplicas): percentages round up, and a percentage
 * below "100%" that rounds up to every pod keeps one pod fewer (so at least one pod is updated).
 */
export function resolvePartition(partition: IntOrPercent | null | undefined, replicas: number): number {
  if (partition === undefined || partition === null) return 0;
  const value = scaledValue(partition, replicas, true);
  if (typeof partition === "string" && replicas > 1 && value === replicas && partition !== "100%") {
    return replicas - 1;
  }
  return value;
}

/** The partition Slipway writes for `batch` canary pods: "100%" holds every pod (and follows scaling). */
export function partitionFor(batch: number, replicas: number): IntOrPercent {
  return batch <= 0 ? "100%" : replicas - Math.min(batch, replicas);
}

/** The partition the user had before the hold (absent = 0). */
export function originalPartition(view: CloneSetView): number {
  return resolvePartition(view.original?.updateStrategy?.partition, view.replicas);
}

/** maxUnavailable of the user's strategy, resolved like kruise (rounded up unless maxSurge > 0; at least 1). */
export function maxUnavailable(view: CloneSetView): number {
  const strategy = view.original?.updateStrategy ?? view.cs.spec?.updateStrategy;
  try {
    const surge = scaledValue(strategy?.maxSurge ?? 0, view.replicas, true);
    const value = scaledValue(
      strategy?.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE,
      view.replicas,
      surge === 0,
    );
    return Math.max(1, value);
  } catch {
    return 1;
  }
}

export function podsOn(view: CloneSetView, revision: string | undefined): V1Pod[] {
  return view.pods.filter((pod) => revision !== undefined && revisionOf(pod) === revision);
}

export function tally(view: CloneSetView, pods: readonly V1Pod[]): PodTally {
  return countPods(pods, view.minReadySeconds, view.now);
}

export function viewCloneSet(objects: CloneSetObjects, now: Date): CloneSetView {
  const cs = objects.cloneSet;
  const replicas = cs.spec?.replicas ?? 1;
  const strategy = cs.spec?.updateStrategy;
  const parsed = parseCloneSetOriginal(cs);
  let problem = parsed.ok ? undefined : parsed.problem;
  let partition = 0;
  try {
    partition = resolvePartition(strategy?.partition, replicas);
  } catch (error) {
    problem ??= `${describeCloneSet(cs)}: spec.updateStrategy.partition ${(error as Error).message}`;
  }
  const status = cs.status;
  const uid = cs.metadata?.uid;
  const currentRevision = shortHash(status?.currentRevision);
  return {
    cs,
    replicas,
    rawPartition: strategy?.partition ?? undefined,
    partition,
    rawPaused: strategy?.paused ?? undefined,
    paused: strategy?.paused === true,
    original: parsed.ok ? parsed.value : undefined,
    hasOriginal: cs.metadata?.annotations?.[ANNOTATION_ORIGINAL] !== undefined,
    problem,
    observed: (status?.observedGeneration ?? 0) >= (cs.metadata?.generation ?? 0),
    currentRevision,
    updateRevision: shortHash(status?.updateRevision),
    // The webhook records the stable revision as a short hash; "" (unknown) falls back to the status.
    stableRevision: shortHash(parseRelease(cs)?.stableRevision) ?? currentRevision,
    pods: objects.pods.filter((pod) => uid !== undefined && controllerUid(pod) === uid && isPodActive(pod)),
    minReadySeconds: cs.spec?.minReadySeconds ?? 0,
    now,
  };
}
