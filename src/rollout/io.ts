// The edge the reconciler talks through. controller.ts backs it with src/kube (informer caches for reads,
// the API server for writes); tests back it with an in-memory fake.
import type { Rollout } from "../api/rollout.ts";
import type { RolloutStatus } from "../api/rollout-status.ts";
import type { RolloutEvent } from "./events.ts";
import type { TrafficIO } from "../traffic/io.ts";
import type { AnalysisPorts } from "./steps/analysis.ts";
import type { RevertResult } from "../workloads/kube/stable-template.ts";
import type { ApplyWrites, ObservedTarget } from "./workload-port.ts";

export type WriteOutcome = "ok" | "conflict" | "gone";

/** A write on the Rollout itself; the new resourceVersion lets the next write precondition on it. */
export type RolloutWrite =
  | { readonly ok: true; readonly resourceVersion: string }
  | { readonly ok: false; readonly reason: "conflict" | "gone" };

/** A Rollout as read from the cache: the parsed object plus what parsing drops. */
export interface RolloutObject {
  readonly rollout: Rollout;
  readonly resourceVersion: string;
  readonly uid: string;
  readonly generation: number | undefined;
  readonly deletionTimestamp: string | undefined;
  readonly finalizers: readonly string[];
  readonly annotations: Readonly<Record<string, string>>;
  /** status.workflow exactly as stored (parsed by record.ts). */
  readonly rawWorkflow: unknown;
  /** The object as the API server sent it (the status PUT carries it back with the new status). */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface ReconcileIO {
  /** The workload and its planners, observed now; undefined when it does not exist; a problem when no adapter fits. */
  loadWorkload(rollout: RolloutObject): Promise<ObservedTarget | undefined | { readonly problem: string }>;
  /** Writes on the workload side (ReplicaSets, partitions, the canary Deployment, annotations). */
  readonly apply: ApplyWrites;
  /**
   * Sets the workload's pod template back to the stable revision (what `kubectl slipway undo` does); used to
   * undo an aborted release when its Rollout goes away. A workload that is gone counts as `unchanged`.
   */
  revertToStable(rollout: RolloutObject, stableRevision: string): Promise<RevertResult>;
  /** Puts `managed-by` on the workload; "ok" also when it is there already. */
  labelWorkload(rollout: RolloutObject): Promise<WriteOutcome>;
  /** Replaces status, preconditioned on the resourceVersion the status was computed from. */
  writeStatus(rollout: RolloutObject, status: RolloutStatus): Promise<RolloutWrite>;
  /** Merge-patches metadata (finalizers, annotations), preconditioned on the resourceVersion. */
  patchMetadata(rollout: RolloutObject, metadata: Readonly<Record<string, unknown>>): Promise<RolloutWrite>;
  event(rollout: RolloutObject, event: RolloutEvent): void;
  /** Reads and writes of traffic objects (Services, Ingresses, VirtualServices); absent: no traffic routing. */
  readonly traffic?: TrafficIO;
  /** Templates and the metric provider for analysis gates; without it, gates fail with a clear message. */
  readonly analysis?: AnalysisPorts;
}
