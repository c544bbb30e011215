// What every planBatch shares: the batch size, the SPEC §5.3 readiness rule and the shape of the answer.

import type { IntOrPercent } from "../api/primitives.ts";
import { allowedUnreadyFor } from "../plan/batch-size.ts";
import type { BatchPlan, BatchProgress, Write } from "./types.ts";

export interface BatchFrame {
  readonly batch: number;
  /** SPEC §5.3: updated ≥ batch and updatedReady + allowed failures ≥ batch. */
  readonly readyByPods: boolean;
  readonly progress: BatchProgress;
  /** Nothing to write now; `blocked` when a human has to act. */
  wait(blocked?: string): BatchPlan;
  /** Writes first; readiness is only ever judged on a plan with nothing left to write. */
  act(writes: readonly Write[]): BatchPlan;
}

export function batchFrame(
  target: number,
  replicas: number,
  canary: { readonly updated: number; readonly updatedReady: number },
  failureThreshold: IntOrPercent,
): BatchFrame {
  const batch = Math.max(0, Math.min(target, replicas));
  const allowed = allowedUnreadyFor(failureThreshold, batch);
  const progress: BatchProgress = { batch, ...canary, allowedFailures: allowed };
  return {
    batch,
    readyByPods: canary.updated >= batch && canary.updatedReady + allowed >= batch,
    progress,
    wait: (blocked) => ({ writes: [], ready: false, progress, ...(blocked !== undefined && { blocked }) }),
    act: (writes) => ({ writes, ready: false, progress }),
  };
}
