// What the reconciler needs from a workload adapter (src/workloads). Declared here as the narrow port the
// rollout room depends on; `ObservedWorkload` of src/workloads satisfies it structurally.
import type { ObservedWorkload, Write } from "../workloads/types.ts";

export type WorkloadPort = Pick<
  ObservedWorkload,
  | "snapshot"
  | "planHold"
  | "planBatch"
  | "planAbort"
  | "planRelease"
  | "releaseDone"
  | "planCleanup"
  | "planRestore"
>;

export type WorkloadSnapshot = ObservedWorkload["snapshot"];

/** A workload as the reconciler sees it: the adapter's observation plus which release it holds. */
export type ObservedTarget = WorkloadPort & {
  /**
   * The identity of the release the workload holds: the canary template hash the webhook wrote in the
   * release annotation. Known before any canary object exists (a canary Deployment's revision is not).
   */
  readonly releaseKey: string | undefined;
};

/** Applies writes in order; `stale` when one lost a race (the caller waits for the next event and re-plans). */
export type ApplyWrites = (
  writes: readonly Write[],
) => Promise<{ readonly applied: number; readonly stale: boolean }>;
