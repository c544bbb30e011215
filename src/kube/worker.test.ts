import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ItemExponentialRateLimiter } from "./rate-limiter.ts";
import { runWorkers } from "./worker.ts";
import type { ReconcileResult } from "./worker.ts";
import { WorkQueue } from "./workqueue.ts";

const now = () => Date.now();

beforeEach(() => {
  vi.useFakeTimers({ now: 5_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("runWorkers", () => {
  it("never runs one key on two workers and never loses an add made during processing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(200), key: fc.constantFrom("a", "b", "c", "d"), work: fc.nat(30) }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (adds, concurrency) => {
          const q = new WorkQueue<string>({ now, rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
          const inFlight = new Set<string>();
          const lastStart = new Map<string, number>();
          const lastAdd = new Map<string, number>();
          const workFor = new Map<string, number>(adds.map((a) => [a.key, a.work]));
          const violations: string[] = [];
          const done = runWorkers({
            queue: q,
            concurrency,
            reconcile: async (key) => {
              if (inFlight.has(key)) violations.push(`${key} ran twice at once`);
              inFlight.add(key);
              lastStart.set(key, Date.now());
              await sleep(workFor.get(key) ?? 0);
              inFlight.delete(key);
            },
          });
          for (const add of adds) {
            setTimeout(() => {
              lastAdd.set(add.key, Date.now());
              q.add(add.key);
            }, add.at);
          }
          await vi.advanceTimersByTimeAsync(200 + 30 * adds.length + 10);
          expect(q.length + q.processing).toBe(0);
          await q.shutDownWithDrain();
          await done;
          expect(violations).toEqual([]);
          for (const [key, added] of lastAdd) expect(lastStart.get(key)).toBeGreaterThanOrEqual(added);
        },
      ),
      { numRuns: 40 },
    );
  });

  async function outcome(result: () => Promise<ReconcileResult>) {
    const q = new WorkQueue<string>({ now, rateLimiter: new ItemExponentialRateLimiter(100, 100_000) });
    const starts: number[] = [];
    const errors: unknown[] = [];
    const t0 = Date.now();
    const done = runWorkers({
      queue: q,
      concurrency: 1,
      reconcile: async () => {
        starts.push(Date.now() - t0);
        return result();
      },
      onError: (_key, err) => errors.push(err),
    });
    q.add("k");
    await vi.advanceTimersByTimeAsync(1000);
    q.shutDown();
    await done;
    return { starts, errors, requeues: q.numRequeues("k") };
  }

  it("retries a throwing reconcile with growing backoff and reports the error", async () => {
    const { starts, errors, requeues } = await outcome(() => Promise.reject(new Error("boom")));
    expect(starts).toEqual([0, 100, 300, 700]); // +100, +200, +400
    expect(errors).toHaveLength(4);
    expect(requeues).toBe(4);
  });

  it("requeueAfter runs the key again after exactly that delay and resets its backoff", async () => {
    const { starts, requeues } = await outcome(async () => ({ requeueAfterMs: 250 }));
    expect(starts).toEqual([0, 250, 500, 750, 1000]);
    expect(requeues).toBe(0);
  });

  it("requeue: true backs off like an error, without reporting one", async () => {
    const { starts, errors } = await outcome(async () => ({ requeue: true }));
    expect(starts).toEqual([0, 100, 300, 700]);
    expect(errors).toEqual([]);
  });

  it("conflict: no growing backoff, a fixed safety-net retry, and an event re-queues the key at once", async () => {
    const q = new WorkQueue<string>({ now, rateLimiter: new ItemExponentialRateLimiter(100, 100_000) });
    const starts: number[] = [];
    const t0 = Date.now();
    const done = runWorkers({
      queue: q,
      concurrency: 1,
      conflictRetryMs: 300,
      reconcile: async () => {
        starts.push(Date.now() - t0);
        return { conflict: true };
      },
    });
    q.add("k");
    await vi.advanceTimersByTimeAsync(1000);
    // Without events: every 300 ms, never longer, and the key's backoff never grows.
    expect(starts).toEqual([0, 300, 600, 900]);
    expect(q.numRequeues("k")).toBe(0);
    // The watch event bringing the newer version (an add) runs the key at once, not at the safety net.
    await vi.advanceTimersByTimeAsync(50);
    q.add("k");
    await vi.advanceTimersByTimeAsync(0);
    expect(starts.at(-1)).toBe(1050); // the safety net was due at 1200
    q.shutDown();
    await done;
  });

  it("success forgets the key's backoff and does not run it again", async () => {
    let calls = 0;
    const { starts, requeues } = await outcome(async () => {
      calls += 1;
      if (calls < 3) throw new Error("transient");
    });
    expect(starts).toEqual([0, 100, 300]);
    expect(requeues).toBe(0);
  });
});
