// What the partition-style adapters (StatefulSet, CloneSet) share: their controllers update pods below a
// partition, revisions are pod labels, an abort deletes pods off the current revision, and finishing is a
// patch of the workload itself.

import type { V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL, LABEL_MANAGED_BY } from "../api/names.ts";
import { removeReleaseAnnotations } from "./annotations.ts";
import type { WorkloadIO } from "./io.ts";
import { labelSelectorString } from "./io.ts";
import { countPods, isPodAvailable, isPodReady } from "./pods.ts";
import type { KubeObject, ObjectRef, RevisionState, Write } from "./types.ts";

export interface PodsView {
  readonly pods: readonly V1Pod[];
  readonly minReadySeconds: number;
  readonly now: Date;
  readonly stableRevision: string | undefined;
  readonly updateRevision: string | undefined;
}

/** The workload and the pods matching its selector (the adapter picks the ones it controls). */
export async function loadWithPods<T extends KubeObject & { spec?: { selector?: V1LabelSelector } }>(
  io: WorkloadIO,
  ref: ObjectRef,
): Promise<{ readonly workload: T; readonly pods: V1Pod[] } | undefined> {
  const workload = (await io.get(ref)) as T | undefined;
  if (workload === undefined) return undefined;
  const selector = workload.spec?.selector;
  const pods =
    selector === undefined
      ? []
      : ((await io.list({
          apiVersion: "v1",
          kind: "Pod",
          namespace: ref.namespace,
          labelSelector: labelSelectorString(selector),
        })) as V1Pod[]);
  return { workload, pods };
}

export function revisionStates(
  view: PodsView,
  revisionOf: (pod: V1Pod) => string | undefined,
): RevisionState[] {
  const revisions = new Set([view.stableRevision, view.updateRevision, ...view.pods.map(revisionOf)]);
  return [...revisions]
    .filter((revision): revision is string => revision !== undefined)
    .map((revision) => {
      const on = view.pods.filter((pod) => revisionOf(pod) === revision);
      const { pods, ready, available } = countPods(on, view.minReadySeconds, view.now);
      const role =
        revision === view.stableRevision ? "stable" : revision === view.updateRevision ? "canary" : "other";
      return { revision, role, desired: undefined, objectName: undefined, pods, ready, available };
    });
}

/**
 * Abort deletes for `off` (pods not on the revision to return to), taken in the given order: unready pods at
 * once (they cost no availability), available ones only while no more than `maxUnavailable` pods of `replicas`
 * would be unavailable.
 */
export function abortDeletes(
  view: PodsView,
  off: readonly V1Pod[],
  limits: { readonly replicas: number; readonly maxUnavailable: number },
  reason: (pod: V1Pod) => string,
): Write[] {
  const available = view.pods.filter((pod) => isPodAvailable(pod, view.minReadySeconds, view.now)).length;
  let budget = available - (limits.replicas - limits.maxUnavailable);
  const victims: V1Pod[] = [];
  for (const pod of off) {
    if (!isPodReady(pod)) victims.push(pod);
    else if (budget > 0 && isPodAvailable(pod, view.minReadySeconds, view.now)) {
      victims.push(pod);
      budget--;
    }
  }
  return victims.map((pod) => ({
    type: "delete",
    target: {
      apiVersion: "v1",
      kind: "Pod",
      namespace: pod.metadata?.namespace ?? "",
      name: pod.metadata?.name ?? "",
    },
    uid: pod.metadata?.uid ?? "",
    resourceVersion: pod.metadata?.resourceVersion ?? "",
    reason: reason(pod),
  }));
}

/**
 * One patch of `workload`: `spec` (if any) plus forgetting the release (annotations) and detaching (label),
 * as asked. No write when there is nothing to change.
 */
export function finishPatch(
  workload: KubeObject,
  target: ObjectRef,
  spec: Record<string, unknown> | undefined,
  what: { readonly annotations: boolean; readonly label: boolean },
  reason: string,
): Write[] {
  const patch: Record<string, unknown> = {};
  if (spec !== undefined) patch["spec"] = spec;
  const metadata: Record<string, unknown> = {};
  const annotations = what.annotations ? removeReleaseAnnotations(workload) : {};
  if (Object.keys(annotations).length > 0) metadata["annotations"] = annotations;
  if (what.label && workload.metadata?.labels?.[LABEL_MANAGED_BY] !== undefined) {
    metadata["labels"] = { [LABEL_MANAGED_BY]: null };
  }
  if (Object.keys(metadata).length > 0) patch["metadata"] = metadata;
  if (Object.keys(patch).length === 0) return [];
  return [
    { type: "patch", target, patch, resourceVersion: workload.metadata?.resourceVersion ?? "", reason },
  ];
}

/**
 * A patch of the workload's update strategy (`spec`). When the webhook did not save the original strategy (the
 * annotation is absent), `kind` and the current `updateStrategy` are saved with it, so the user's setting is
 * never lost.
 */
export function holdPatch(
  workload: KubeObject & { spec?: { updateStrategy?: unknown } },
  target: ObjectRef,
  spec: Record<string, unknown>,
  reason: string,
): Write {
  const patch: Record<string, unknown> = { spec };
  if (workload.metadata?.annotations?.[ANNOTATION_ORIGINAL] === undefined) {
    const saved = { kind: target.kind, updateStrategy: workload.spec?.updateStrategy ?? {} };
    patch["metadata"] = { annotations: { [ANNOTATION_ORIGINAL]: JSON.stringify(saved) } };
  }
  return { type: "patch", target, patch, resourceVersion: workload.metadata?.resourceVersion ?? "", reason };
}
