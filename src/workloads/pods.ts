// Pod readiness from real pod status, counted the way the ReplicaSet controller counts (podutil.IsPodAvailable,
// controller.FilterActivePods), and the batch readiness rule of SPEC §5.3.

import type { V1Pod } from "@kubernetes/client-node";
import type { KubeObject, PodCounts } from "./types.ts";

export const NO_PODS: PodCounts = { pods: 0, ready: 0, available: 0 };

/** Client-node types timestamps as Date; raw JSON carries strings. Accept both. */
export function timeOf(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Counted like a ReplicaSet does: not terminating, not finished. */
export function isPodActive(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return pod.metadata?.deletionTimestamp == null && phase !== "Succeeded" && phase !== "Failed";
}

function readyCondition(pod: V1Pod) {
  return pod.status?.conditions?.find((condition) => condition.type === "Ready");
}

export function isPodReady(pod: V1Pod): boolean {
  return readyCondition(pod)?.status === "True";
}

/**
 * The first instant at which a ready pod counts as available. Kubernetes requires Ready for *more than*
 * minReadySeconds (strictly before now), hence the extra millisecond.
 */
export function availableAt(pod: V1Pod, minReadySeconds: number): number | undefined {
  const condition = readyCondition(pod);
  if (condition?.status !== "True") return undefined;
  if (minReadySeconds <= 0) return Number.NEGATIVE_INFINITY;
  const since = timeOf(condition.lastTransitionTime);
  // A Ready condition without a time cannot be dated; Kubernetes treats it as not yet available.
  return since === undefined ? Number.POSITIVE_INFINITY : since + minReadySeconds * 1000 + 1;
}

export function isPodAvailable(pod: V1Pod, minReadySeconds: number, now: Date): boolean {
  const at = availableAt(pod, minReadySeconds);
  return at !== undefined && at <= now.getTime();
}

export interface PodTally extends PodCounts {
  /** Earliest future moment at which a ready pod becomes available; undefined if none pending. */
  readonly nextAvailableAt: number | undefined;
}

export function countPods(pods: readonly V1Pod[], minReadySeconds: number, now: Date): PodTally {
  let count = 0;
  let ready = 0;
  let available = 0;
  let next: number | undefined;
  for (const pod of pods) {
    if (!isPodActive(pod)) continue;
    count++;
    if (!isPodReady(pod)) continue;
    ready++;
    const at = availableAt(pod, minReadySeconds) ?? Number.POSITIVE_INFINITY;
    if (at <= now.getTime()) available++;
    else if (Number.isFinite(at)) next = next === undefined ? at : Math.min(next, at);
  }
  return { pods: count, ready, available, nextAvailableAt: next };
}

export function addCounts(...counts: readonly PodCounts[]): PodCounts {
  return counts.reduce<PodCounts>(
    (sum, c) => ({
      pods: sum.pods + c.pods,
      ready: sum.ready + c.ready,
      available: sum.available + c.available,
    }),
    NO_PODS,
  );
}

export function earliest(...moments: readonly (number | undefined)[]): Date | undefined {
  const defined = moments.filter((m): m is number => m !== undefined);
  return defined.length === 0 ? undefined : new Date(Math.min(...defined));
}

/** The UID of the object that controls `object` (its ownerReference with controller: true). */
export function controllerUid(object: KubeObject): string | undefined {
  return object.metadata?.ownerReferences?.find((ref) => ref.controller === true)?.uid;
}

/** Group pods by their controlling owner's UID. */
export function podsByOwner(pods: readonly V1Pod[]): ReadonlyMap<string, readonly V1Pod[]> {
  const map = new Map<string, V1Pod[]>();
  for (const pod of pods) {
    const uid = controllerUid(pod);
    if (uid === undefined) continue;
    const list = map.get(uid) ?? [];
    list.push(pod);
    map.set(uid, list);
  }
  return map;
}
