// Workers that drain a WorkQueue into a reconcile function, mapping outcomes the way
// controller-runtime does: throw → rate-limited retry; requeueAfter → timer; requeue → rate-limited;
// success → forget the key's backoff. One addition: conflict → no backoff (see ReconcileResult.conflict).

import type { WorkQueue } from "./workqueue.ts";

export type ReconcileResult = void | {
  readonly requeueAfterMs?: number;
  readonly requeue?: boolean;
  /**
   * A write lost a race (409): the cache is behind a newer version, and the watch event that delivers it
   * queues the key again at once. So the backoff is forgotten (a rate-limited retry would grow with every
   * conflict and, after the last event, sleep up to seconds before reacting) and only a safety-net retry
   * is scheduled after `conflictRetryMs`, in case no event comes.
   */
  readonly conflict?: boolean;
};

/** The safety-net retry after a conflict; the watch event normally comes first. */
export const CONFLICT_RETRY_MS = 1_000;

export interface RunWorkersOptions<K> {
  readonly queue: WorkQueue<K>;
  /** controller-runtime's MaxConcurrentReconciles. */
  readonly concurrency: number;
  readonly reconcile: (key: K) => Promise<ReconcileResult>;
  /** Told about every failed reconcile (the key is retried with backoff regardless). */
  readonly onError?: (key: K, err: unknown) => void;
  /** Retry after a conflict when no watch event re-queued the key first; default CONFLICT_RETRY_MS. */
  readonly conflictRetryMs?: number;
}

/** Runs `concurrency` loops until the queue is shut down and empty; resolves when all have exited. */
export async function runWorkers<K>(options: RunWorkersOptions<K>): Promise<void> {
  const loops = Array.from({ length: Math.max(1, options.concurrency) }, () => workerLoop(options));
  await Promise.all(loops);
}

async function workerLoop<K>({
  queue,
  reconcile,
  onError,
  conflictRetryMs = CONFLICT_RETRY_MS,
}: RunWorkersOptions<K>): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      const result = await reconcile(key);
      if (result !== undefined && result.conflict === true) {
        queue.forget(key);
        queue.addAfter(key, conflictRetryMs);
      } else if (result !== undefined && result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        queue.forget(key);
        queue.addAfter(key, result.requeueAfterMs);
      } else if (result !== undefined && result.requeue === true) {
        queue.addRateLimited(key);
      } else {
        queue.forget(key);
      }
    } catch (err) {
      try {
        onError?.(key, err);
      } catch {
        // a broken error reporter must not stop the worker
      }
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}
