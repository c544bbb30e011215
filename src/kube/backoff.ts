// Exponential backoff with jitter, shared by the informer (re-list/re-watch) and the leader elector.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Growth per failure; 2 doubles. */
  readonly factor: number;
  /** Up to this fraction is added at random, so many clients do not retry in lockstep. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 800, maxMs: 30_000, factor: 2, jitter: 0.2 };

export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Delay before the next attempt; each call counts one more failure. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.#policy;
    const base = Math.min(maxMs, initialMs * factor ** this.#failures);
    this.#failures += 1;
    return Math.round(Math.min(maxMs, base * (1 + jitter * this.#random())));
  }

  get failures(): number {
    return this.#failures;
  }

  reset(): void {
    this.#failures = 0;
  }
}

/** `base` stretched by up to `factor` at random (client-go's wait.Jitter). */
export function jittered(baseMs: number, factor: number, random: () => number = Math.random): number {
  return baseMs + baseMs * factor * random();
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
