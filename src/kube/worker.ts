// Workers that drain a WorkQueue into a reconcile function, mapping outcomes the way
// controller-runtime does: throw → rate-limited retry; requeueAfter → timer; requeue → rate-limited;
// success → forget the key's backoff.

import type { WorkQueue } from "./workqueue.ts";

export type ReconcileResult = void | { readonly requeueAfterMs?: number; readonly requeue?: boolean };

export interface RunWorkersOptions<K> {
  readonly queue: WorkQueue<K>;
  /** controller-runtime's MaxConcurrentReconciles. */
  readonly concurrency: number;
  readonly reconcile: (key: K) => Promise<ReconcileResult>;
  /** Told about every failed reconcile (the key is retried with backoff regardless). */
  readonly onError?: (key: K, err: unknown) => void;
}

/** Runs `concurrency` loops until the queue is shut down and empty; resolves when all have exited. */
export async function runWorkers<K>(options: RunWorkersOptions<K>): Promise<void> {
  const loops = Array.from({ length: Math.max(1, options.concurrency) }, () => workerLoop(options));
  await Promise.all(loops);
}

async function workerLoop<K>({ queue, reconcile, onError }: RunWorkersOptions<K>): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      const result = await reconcile(key);
      if (result !== undefined && result.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
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
