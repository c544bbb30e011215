// Per-key retry delays for the work queue, with client-go's DefaultControllerRateLimiter shape:
// the larger of a per-key exponential backoff and a shared token bucket.

export interface RateLimiter<K> {
  /** How long to wait before `key` may be processed again; counts one more failure for it. */
  when(key: K): number;
  /** Clears the key's failure history (call after a success). */
  forget(key: K): void;
  /** Failures counted for the key since the last forget. */
  retries(key: K): number;
}

/** base × 2^failures, capped: 5 ms, 10 ms, 20 ms … up to 1000 s by default. */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<K, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  when(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after the cap; Math.min keeps it finite.
    return Math.min(this.#maxMs, this.#baseMs * 2 ** failures);
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }

  retries(key: K): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** A shared token bucket (qps, burst): bounds the overall retry rate across all keys. */
export class TokenBucketRateLimiter<K> implements RateLimiter<K> {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(qps = 10, burst = 100, now: () => number = () => performance.now()) {
    this.#qps = qps;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  when(_key: K): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
    this.#tokens -= 1; // a reservation: going negative means waiting for the refill
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#qps) * 1000);
  }

  forget(_key: K): void {}

  retries(_key: K): number {
    return 0;
  }
}

/** The largest delay any of the limiters asks for. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  readonly #limiters: readonly RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.#limiters = limiters;
  }

  when(key: K): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(key)));
  }

  forget(key: K): void {
    for (const l of this.#limiters) l.forget(key);
  }

  retries(key: K): number {
    return Math.max(0, ...this.#limiters.map((l) => l.retries(key)));
  }
}

/** client-go's DefaultControllerRateLimiter: 5 ms → 1000 s per key, 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter<K>(now?: () => number): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ItemExponentialRateLimiter<K>(5, 1_000_000),
    new TokenBucketRateLimiter<K>(10, 100, now),
  );
}
