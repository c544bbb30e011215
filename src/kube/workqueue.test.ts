import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KubeMetrics } from "./metrics.ts";
import type { WorkQueueMetrics } from "./metrics.ts";
import { ItemExponentialRateLimiter } from "./rate-limiter.ts";
import { WorkQueue } from "./workqueue.ts";

const now = () => Date.now(); // faked by vi.useFakeTimers

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function queue(extra: Partial<ConstructorParameters<typeof WorkQueue<string>>[0]> = {}) {
  return new WorkQueue<string>({ now, rateLimiter: new ItemExponentialRateLimiter(5, 1_000_000), ...extra });
}

/** The promise's value if it has already settled, else "pending" (no timers: they are faked). */
async function settle<T>(p: Promise<T>): Promise<T | "pending"> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  return Promise.race([p, Promise.resolve("pending" as const)]);
}

describe("WorkQueue basics", () => {
  it("hands keys out in FIFO order and each pending key only once", async () => {
    const q = queue();
    q.add("a");
    q.add("b");
    q.add("a");
    q.add("c");
    q.add("b");
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["a", "b", "c"]);
    expect(q.length).toBe(0);
  });

  it("never hands a key to a second worker while the first holds it; a re-add waits for done", async () => {
    const q = queue();
    q.add("a");
    expect(await q.get()).toBe("a");
    q.add("a");
    q.add("a");
    expect(q.length).toBe(0);
    const second = q.get();
    expect(await settle(second)).toBe("pending");
    q.done("a");
    expect(await second).toBe("a");
    q.done("a");
    expect(q.length).toBe(0);
    expect(await settle(q.get())).toBe("pending");
  });

  it("a key re-added during processing goes behind keys that were already waiting", async () => {
    const q = queue();
    q.add("a");
    expect(await q.get()).toBe("a");
    q.add("a");
    q.add("b");
    q.done("a");
    expect([await q.get(), await q.get()]).toEqual(["b", "a"]);
  });

  it("wakes a waiting worker as soon as a key is added", async () => {
    const q = queue();
    const waiting = q.get();
    expect(await settle(waiting)).toBe("pending");
    q.add("x");
    expect(await waiting).toBe("x");
  });
});

describe("delayed adds", () => {
  it("adds a key only when its delay has passed", async () => {
    const q = queue();
    q.addAfter("a", 1000);
    expect(q.delayed).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(q.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.length).toBe(1);
    expect(q.delayed).toBe(0);
  });

  it("holds a delay beyond Node's 24.8-day timer limit without firing early", async () => {
    const q = queue();
    const sixHundredHours = 600 * 3600 * 1000;
    q.addAfter("a", sixHundredHours);
    await vi.advanceTimersByTimeAsync(2_147_483_647);
    expect(q.length).toBe(0);
    expect(q.delayed).toBe(1);
    await vi.advanceTimersByTimeAsync(sixHundredHours - 2_147_483_647);
    expect(q.length).toBe(1);
  });

  it("keeps the earliest deadline when one key is delayed twice", async () => {
    const q = queue();
    q.addAfter("a", 1000);
    q.addAfter("a", 200);
    await vi.advanceTimersByTimeAsync(200);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("a");
    q.done("a");
    await vi.advanceTimersByTimeAsync(2000);
    expect(q.length).toBe(0); // the 1000 ms request was absorbed by the earlier one

    q.addAfter("b", 200);
    q.addAfter("b", 1000);
    await vi.advanceTimersByTimeAsync(200);
    expect(q.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q.length).toBe(1);
  });

  it("releases delayed keys in deadline order, not call order", async () => {
    const q = queue();
    q.addAfter("late", 300);
    q.addAfter("early", 100);
    q.addAfter("middle", 200);
    await vi.advanceTimersByTimeAsync(300);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["early", "middle", "late"]);
  });

  it("orders keys that fall due in the same timer tick by deadline", async () => {
    const q = queue();
    q.addAfter("b", 20);
    q.addAfter("a", 10);
    // Jumping the clock past both deadlines at once fires one timer that finds both due.
    vi.setSystemTime(Date.now() + 50);
    await vi.advanceTimersByTimeAsync(50);
    expect([await q.get(), await q.get()]).toEqual(["a", "b"]);
  });

  it("treats a non-positive delay as an immediate add", () => {
    const q = queue();
    q.addAfter("a", 0);
    q.addAfter("b", -5);
    expect(q.length).toBe(2);
  });
});

describe("rate-limited re-adds", () => {
  it("backs off per key exponentially from 5 ms and forget() resets it", async () => {
    const q = queue();
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const start = Date.now();
      q.addRateLimited("a");
      while (q.length === 0) await vi.advanceTimersByTimeAsync(1);
      delays.push(Date.now() - start);
      expect(await q.get()).toBe("a");
      q.done("a");
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 160]);
    expect(q.numRequeues("a")).toBe(6);
    q.forget("a");
    expect(q.numRequeues("a")).toBe(0);
    q.addRateLimited("a");
    await vi.advanceTimersByTimeAsync(5);
    expect(q.length).toBe(1);
  });

  it("keeps separate backoff per key", () => {
    const limiter = new ItemExponentialRateLimiter<string>(5, 1_000_000);
    expect([limiter.when("a"), limiter.when("a"), limiter.when("a")]).toEqual([5, 10, 20]);
    expect(limiter.when("b")).toBe(5);
  });

  it("caps the backoff at 1000 s", () => {
    const limiter = new ItemExponentialRateLimiter<string>(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 40; i += 1) last = limiter.when("a");
    expect(last).toBe(1_000_000);
  });
});

describe("shutdown", () => {
  it("ignores new adds, drops delayed keys, still hands out queued keys, then returns undefined", async () => {
    const q = queue();
    q.add("queued");
    q.addAfter("delayed", 100);
    q.shutDown();
    q.add("late");
    q.addRateLimited("late");
    expect(q.delayed).toBe(0);
    expect(await q.get()).toBe("queued");
    expect(await q.get()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(q.length).toBe(0);
  });

  it("releases idle workers with undefined", async () => {
    const q = queue();
    const idle = [q.get(), q.get()];
    q.shutDown();
    expect(await Promise.all(idle)).toEqual([undefined, undefined]);
  });

  it("shutDownWithDrain resolves only after in-flight keys are done", async () => {
    const q = queue();
    q.add("a");
    q.add("b");
    const a = await q.get();
    const b = await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    q.done(a ?? "");
    await settle(drain);
    expect(drained).toBe(false);
    q.done(b ?? "");
    await drain;
    expect(drained).toBe(true);
  });
});

describe("metrics", () => {
  function recorder() {
    const seen = {
      adds: 0,
      retries: 0,
      depth: [] as number[],
      queued: [] as number[],
      worked: [] as number[],
    };
    let ages: () => readonly number[] = () => [];
    const sink: WorkQueueMetrics = {
      add: () => (seen.adds += 1),
      depth: (n) => seen.depth.push(n),
      queueDuration: (s) => seen.queued.push(s),
      workDuration: (s) => seen.worked.push(s),
      retry: () => (seen.retries += 1),
      trackInFlight: (probe) => (ages = probe),
    };
    return { seen, sink, ages: () => ages() };
  }

  it("reports adds, depth, time in queue, time in work, retries and in-flight ages", async () => {
    const { seen, sink, ages } = recorder();
    const q = queue({ metrics: sink });
    q.add("a");
    q.add("a"); // not a new add
    q.add("b");
    await vi.advanceTimersByTimeAsync(250);
    const a = await q.get();
    await vi.advanceTimersByTimeAsync(1500);
    expect(ages()).toEqual([1.5]);
    q.done(a ?? "");
    q.addRateLimited("c");
    expect(seen.adds).toBe(2);
    expect(seen.depth).toEqual([1, 2, 1]);
    expect(seen.queued).toEqual([0.25]);
    expect(seen.worked).toEqual([1.5]);
    expect(seen.retries).toBe(1);
  });

  it("exposes controller-runtime metric names through prom-client", async () => {
    const registry = new Registry();
    const metrics = new KubeMetrics(registry);
    const q = queue({ metrics: metrics.workQueue("rollout") });
    q.add("a");
    q.add("b");
    const a = await q.get();
    await vi.advanceTimersByTimeAsync(2000);
    q.addRateLimited("c");
    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="rollout",controller="rollout"} 1');
    expect(text).toContain('workqueue_adds_total{name="rollout",controller="rollout"} 2');
    expect(text).toContain('workqueue_retries_total{name="rollout",controller="rollout"} 1');
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="rollout",controller="rollout"} 1');
    expect(text).toContain(
      'workqueue_longest_running_processor_seconds{name="rollout",controller="rollout"} 2',
    );
    expect(text).toContain('workqueue_unfinished_work_seconds{name="rollout",controller="rollout"} 2');
    q.done(a ?? "");
    const after = await registry.metrics();
    expect(after).toContain('workqueue_work_duration_seconds_count{name="rollout",controller="rollout"} 1');
    expect(after).toContain(
      'workqueue_longest_running_processor_seconds{name="rollout",controller="rollout"} 0',
    );
  });
});
