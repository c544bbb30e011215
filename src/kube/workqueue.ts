// A work queue with client-go's contract: fair (FIFO), stingy (a key pending several times is handed
// out once), exclusive (a key a worker holds is never handed to another; a re-add during processing
// runs again after `done`), with delayed and rate-limited re-adds. Keys should be strings
// (`namespace/name`) so that equal keys are equal values.

import { NOOP_WORK_QUEUE_METRICS } from "./metrics.ts";
import type { WorkQueueMetrics } from "./metrics.ts";
import { defaultControllerRateLimiter } from "./rate-limiter.ts";
import type { RateLimiter } from "./rate-limiter.ts";

const MAX_TIMER_MS = 2_147_483_647;

export interface WorkQueueOptions<K> {
  readonly rateLimiter?: RateLimiter<K>;
  readonly metrics?: WorkQueueMetrics;
  /** Monotonic milliseconds; injectable so tests can drive it with fake timers. */
  readonly now?: () => number;
}

export class WorkQueue<K = string> {
  readonly #fifo: K[] = [];
  #head = 0;
  /** Keys that need processing: queued, or re-added while being processed. */
  readonly #dirty = new Set<K>();
  readonly #processing = new Map<K, number>(); // key → started at
  readonly #addedAt = new Map<K, number>();
  /** Delayed adds: key → due time. One key has one deadline; the earliest wins. */
  readonly #waiting = new Map<K, number>();
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Infinity;
  readonly #getters: ((key: K | undefined) => void)[] = [];
  readonly #drainers: (() => void)[] = [];
  #shuttingDown = false;
  readonly #limiter: RateLimiter<K>;
  readonly #metrics: WorkQueueMetrics;
  readonly #now: () => number;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(this.#now);
    this.#metrics = options.metrics ?? NOOP_WORK_QUEUE_METRICS;
    this.#metrics.trackInFlight(() => {
      const now = this.#now();
      return [...this.#processing.values()].map((started) => (now - started) / 1000);
    });
  }

  /** Marks `key` as needing processing. No-op if already pending or shutting down. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#now());
    this.#metrics.add();
    this.#metrics.depth(this.#dirty.size);
    if (this.#processing.has(key)) return; // queued again by done()
    this.#push(key);
  }

  /**
   * Resolves with the next key, which the caller now holds exclusively until `done(key)`.
   * Resolves `undefined` once the queue is shut down and has nothing left to hand out.
   */
  get(): Promise<K | undefined> {
    if (this.#fifo.length > this.#head) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Releases `key`; if it was re-added meanwhile, it goes to the back of the queue now. */
  done(key: K): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics.workDuration((this.#now() - started) / 1000);
    if (this.#dirty.has(key)) this.#push(key);
    if (this.#processing.size === 0) for (const drained of this.#drainers.splice(0)) drained();
  }

  /** Adds `key` after `ms`; if it is already waiting, the earlier deadline wins. */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    this.#metrics.retry();
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.#now() + ms;
    const existing = this.#waiting.get(key);
    if (existing !== undefined && existing <= due) return;
    this.#waiting.set(key, due);
    if (due < this.#timerDue) this.#arm(due);
  }

  /** Re-adds `key` after its rate limiter's delay (per-key exponential backoff). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Resets `key`'s backoff (after a successful reconcile). */
  forget(key: K): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.#limiter.retries(key);
  }

  /** Keys waiting to be handed out (excludes in-flight and delayed ones). */
  get length(): number {
    return this.#fifo.length - this.#head;
  }

  /** Keys scheduled by addAfter that are not due yet. */
  get delayed(): number {
    return this.#waiting.size;
  }

  get processing(): number {
    return this.#processing.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops accepting adds and drops delayed ones. Keys already queued are still handed out (as in
   * client-go); idle `get()` calls resolve `undefined`.
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#waiting.clear();
    this.#disarm();
    if (this.length === 0) for (const getter of this.#getters.splice(0)) getter(undefined);
  }

  /** shutDown, then resolves once no key is being processed. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainers.push(resolve));
  }

  #push(key: K): void {
    const getter = this.#getters.shift();
    this.#fifo.push(key);
    if (getter !== undefined) getter(this.#take());
  }

  #take(): K {
    const key = this.#fifo[this.#head] as K;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo.splice(0, this.#head);
      this.#head = 0;
    }
    const now = this.#now();
    this.#metrics.queueDuration((now - (this.#addedAt.get(key) ?? now)) / 1000);
    this.#addedAt.delete(key);
    this.#dirty.delete(key);
    this.#processing.set(key, now);
    this.#metrics.depth(this.#dirty.size);
    return key;
  }

  #arm(due: number): void {
    this.#disarm();
    this.#timerDue = due;
    // Node's timers hold at most 2^31-1 ms (~24.8 days); a later deadline re-arms when this one fires.
    this.#timer = setTimeout(() => this.#fire(), Math.min(MAX_TIMER_MS, Math.max(0, due - this.#now())));
    this.#timer.unref(); // a pending re-queue must not keep the process alive on its own
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = this.#now();
    let next = Infinity;
    const due: K[] = [];
    for (const [key, at] of this.#waiting) {
      if (at <= now) due.push(key);
      else next = Math.min(next, at);
    }
    // In deadline order, so a shorter addAfter added later still runs first.
    due.sort((a, b) => (this.#waiting.get(a) ?? 0) - (this.#waiting.get(b) ?? 0));
    for (const key of due) {
      this.#waiting.delete(key);
      this.add(key);
    }
    if (next !== Infinity) this.#arm(next);
  }
}
