// The one interface every workload kind implements. Decisions are pure functions over plain Kubernetes
// objects; the only I/O is `load` (reads through WorkloadIO) and applying the returned writes (io.ts).

import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import type { CloneSetOriginal, DeploymentOriginal, StatefulSetOriginal } from "./annotations.ts";
import type { IntOrPercent } from "./int-or-percent.ts";
import type { WorkloadIO } from "./io.ts";

export type WorkloadKind = "Deployment" | "StatefulSet" | "CloneSet";
/** How pods move: `partition`/`canary-deployment` are Deployment styles; StatefulSets and CloneSets use their partition. */
export type WorkloadStyle =
  "partition" | "canary-deployment" | "statefulset-partition" | "cloneset-partition";

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Anything with Kubernetes object metadata (V1Deployment, V1ReplicaSet, ... are assignable). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
}

/**
 * One write to the API server. Every write carries the precondition it was computed under, so a write based on
 * a stale read fails (the caller then re-reads and re-plans) instead of overwriting somebody else's change.
 */
export type Write =
  | {
      readonly type: "patch";
      readonly target: ObjectRef;
      /** JSON merge patch (RFC 7386); `null` deletes a key. */
      readonly patch: Readonly<Record<string, unknown>>;
      /** Sent as `metadata.resourceVersion` in the patch body: the server answers 409 if the object moved on. */
      readonly resourceVersion: string;
      /**
       * Replaces the `resourceVersion` precondition with the fields the write was actually computed from
       * (JSON pointer → value, e.g. `/metadata/uid`, `/spec/replicas`): the write fails as stale only if one
       * of them changed, not when another writer only updated the status. For writes that set a field to an
       * absolute value, like a ReplicaSet's replicas, whose status the ReplicaSet controller rewrites with
       * every pod that becomes ready.
       */
      readonly unchanged?: Readonly<Record<string, unknown>>;
      readonly reason: string;
    }
  | {
      readonly type: "create";
      readonly target: ObjectRef;
      readonly object: KubeObject;
      readonly reason: string;
    }
  | {
      readonly type: "delete";
      readonly target: ObjectRef;
      /** DeleteOptions.preconditions: only this incarnation, only unchanged since it was read. */
      readonly uid: string;
      readonly resourceVersion: string;
      readonly reason: string;
    };

export interface PodCounts {
  /** Pods that exist and are not terminating, failed or succeeded (what a ReplicaSet counts). */
  readonly pods: number;
  readonly ready: number;
  /** Ready for at least minReadySeconds. */
  readonly available: number;
}

export type RevisionRole = "stable" | "canary" | "other";

/** Pods and the owning object's desired count for one revision (ReplicaSet, canary Deployment, or STS revision). */
export interface RevisionState extends PodCounts {
  readonly revision: string;
  readonly role: RevisionRole;
  /** spec.replicas of the ReplicaSet/Deployment holding this revision; undefined where no such object exists. */
  readonly desired: number | undefined;
  readonly objectName: string | undefined;
}

export interface WorkloadSnapshot {
  readonly ref: ObjectRef;
  readonly kind: WorkloadKind;
  readonly style: WorkloadStyle;
  /** spec.replicas (N), read every time so HPA changes are followed. */
  readonly replicas: number;
  /** pod-template-hash (Deployment, CloneSet) or controller-revision-hash (StatefulSet) values. */
  readonly stableRevision: string | undefined;
  readonly canaryRevision: string | undefined;
  /** A release is in progress: the workload's template differs from the stable revision. */
  readonly inRelease: boolean;
  /** The template was set back to the stable revision during a release (rollback). */
  readonly rolledBack: boolean;
  /** The native rollout is held back (paused/Recreate, or partition), as SPEC §4.1 describes. */
  readonly held: boolean;
  /** Parsed `rollouts.slipway.dev/original`; undefined when absent or unreadable (see `problem`). */
  readonly original: DeploymentOriginal | StatefulSetOriginal | CloneSetOriginal | undefined;
  /** The workload's controller has observed the latest spec (status.observedGeneration ≥ generation). */
  readonly observed: boolean;
  readonly stable: PodCounts;
  readonly canary: PodCounts;
  /** Pods of neither revision (e.g. a superseded canary). */
  readonly other: PodCounts;
  readonly revisions: readonly RevisionState[];
  /** When a ready pod becomes available (minReadySeconds); re-plan then. */
  readonly recheckAt: Date | undefined;
  /** Why this workload cannot be driven as it is (bad annotation, unsupported strategy...), with the fix. */
  readonly problem: string | undefined;
}

export interface Plan {
  readonly writes: readonly Write[];
  /** The goal of this plan is reached (nothing left to write and nothing left to wait for). */
  readonly done: boolean;
  /** Progress is impossible without a human; the message names the object and the fix. */
  readonly blocked?: string;
}

export interface BatchProgress {
  readonly batch: number;
  /** Pods on the canary revision. */
  readonly updated: number;
  /** Canary pods that are available (ready for minReadySeconds). */
  readonly updatedReady: number;
  readonly allowedFailures: number;
}

export interface BatchPlan {
  readonly writes: readonly Write[];
  /** SPEC §5.3: updated ≥ batch and updatedReady + allowed failures ≥ batch, and nothing left to write. */
  readonly ready: boolean;
  readonly progress: BatchProgress;
  readonly blocked?: string;
}

export interface RestoreOptions {
  /** Also remove the `managed-by` label (detach), not only the release state. */
  readonly detach: boolean;
}

/** A workload as observed at one instant, with its planners bound to that observation. */
export interface ObservedWorkload {
  readonly snapshot: WorkloadSnapshot;
  /** Re-assert the hold if a user undid it (never lowers a partition below `canaryTarget`'s). */
  planHold(canaryTarget: number): Plan;
  /** The next idempotent writes towards `canaryTarget` canary pods, and whether the batch is ready. */
  planBatch(canaryTarget: number, failureThreshold: IntOrPercent): BatchPlan;
  /** Canary pods back to 0, stable back to N, workload still held on the canary template (SPEC §5.6). */
  planAbort(): Plan;
  /** Finish: restore the original strategy/partition and unpause; `done` = releaseDone(). */
  planRelease(): Plan;
  /** Every pod runs the workload's current template and is available. */
  releaseDone(): boolean;
  /** After releaseDone: drop release annotations (and the canary Deployment, once the original is available). */
  planCleanup(): Plan;
  /** Detach/rollback: hand the workload back to its native controller as its user expects it. */
  planRestore(options: RestoreOptions): Plan;
}

export interface AdapterContext {
  readonly now: Date;
  /**
   * The stable revision the controller recorded for the release in progress (Rollout status), for when the
   * release annotation does not name one: the webhook writes "" when its Rollout cache had no
   * status.stableRevision yet, and inferring "the newest old ReplicaSet with pods" fails once every pod
   * has moved (the last step), which would make the release look finished or rolled back.
   */
  readonly stableRevision?: string;
  /** Owner of objects Slipway creates on the Rollout's behalf (the canary Deployment): the Rollout. */
  readonly owner?: V1OwnerReference;
}

export interface WorkloadAdapter {
  readonly kind: WorkloadKind;
  readonly style: WorkloadStyle;
  /** Read what the planners need; undefined when the workload does not exist. */
  load(io: WorkloadIO, ref: ObjectRef, context: AdapterContext): Promise<ObservedWorkload | undefined>;
}
