// Pods of a workload grouped by revision: what a rollout looks like from the cluster's side.
import type { V1Pod } from "@kubernetes/client-node";
import { clients } from "./clients.ts";
import type { Identity } from "./clients.ts";

export interface PodSummary {
  readonly name: string;
  readonly phase: string;
  readonly ready: boolean;
  readonly restarts: number;
  readonly terminating: boolean;
  readonly node?: string;
  /** StatefulSet pods: the ordinal from the name; undefined otherwise. */
  readonly ordinal?: number;
}

export interface RevisionGroup {
  /** `pod-template-hash` (Deployment/ReplicaSet) or `controller-revision-hash` (StatefulSet, CloneSet, DaemonSet). */
  readonly revision: string;
  /** Pods not being deleted. */
  readonly total: number;
  readonly ready: number;
  readonly terminating: number;
  readonly pods: readonly PodSummary[];
}

export const REVISION_LABELS = ["pod-template-hash", "controller-revision-hash"] as const;

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function podRevision(pod: V1Pod): string {
  const labels = pod.metadata?.labels ?? {};
  for (const key of REVISION_LABELS) {
    const value = labels[key];
    if (value !== undefined) return value;
  }
  return "(none)";
}

export function summarizePod(pod: V1Pod): PodSummary {
  const name = pod.metadata?.name ?? "";
  const ordinalMatch = pod.metadata?.ownerReferences?.some((o) => o.kind === "StatefulSet")
    ? /-(\d+)$/.exec(name)
    : null;
  return {
    name,
    phase: pod.status?.phase ?? "Unknown",
    ready: isPodReady(pod),
    restarts: (pod.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0),
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    node: pod.spec?.nodeName,
    ordinal: ordinalMatch?.[1] === undefined ? undefined : Number(ordinalMatch[1]),
  };
}

/** Groups pods by revision; groups are ordered oldest first (by their oldest pod's creation time). */
export function groupByRevision(pods: readonly V1Pod[]): RevisionGroup[] {
  const groups = new Map<string, { first: number; pods: V1Pod[] }>();
  for (const pod of pods) {
    const key = podRevision(pod);
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
    const group = groups.get(key) ?? { first: created, pods: [] };
    group.first = Math.min(group.first, created);
    group.pods.push(pod);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .sort(([, a], [, b]) => a.first - b.first)
    .map(([revision, g]) => {
      const summaries = g.pods.map(summarizePod).sort((a, b) => a.name.localeCompare(b.name));
      const live = summaries.filter((p) => !p.terminating);
      return {
        revision,
        total: live.length,
        ready: live.filter((p) => p.ready).length,
        terminating: summaries.length - live.length,
        pods: summaries,
      };
    });
}

/** Lists the pods matching `labelSelector` (e.g. "app=web") in `namespace`, grouped by revision. */
export async function podsByRevision(
  namespace: string,
  labelSelector: string,
  as: Identity = "admin",
): Promise<RevisionGroup[]> {
  const list = await clients(as).core.listNamespacedPod({ namespace, labelSelector });
  return groupByRevision(list.items);
}

/** One line per revision, e.g. `7d4b9c 3/4 ready (1 terminating)`. */
export function formatRevisions(groups: readonly RevisionGroup[]): string {
  if (groups.length === 0) return "(no pods)";
  return groups
    .map(
      (g) =>
        `${g.revision} ${g.ready}/${g.total} ready${g.terminating ? ` (${g.terminating} terminating)` : ""}`,
    )
    .join("\n");
}
