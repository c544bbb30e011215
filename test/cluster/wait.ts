// Polling with a deadline. On timeout the error carries the last observed state, so a failing test or
// a failed `cluster:up` says what it was waiting for and what it saw instead. Never a bare sleep.
import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Called once on timeout; its text is appended to the error (e.g. the workload, its pods, Events). */
  readonly describeState?: () => Promise<string> | string;
}

/** What a probe returns: `{ done: true, value }` ends the wait; `{ done: false, observed }` records what was seen. */
export type Probe<T> =
  { readonly done: true; readonly value: T } | { readonly done: false; readonly observed: unknown };

export const done = <T>(value: T): Probe<T> => ({ done: true, value });
export const notYet = (observed: unknown): Probe<never> => ({ done: false, observed });

export class WaitTimeoutError extends Error {
  readonly lastObserved: unknown;
  constructor(message: string, lastObserved: unknown) {
    super(message);
    this.name = "WaitTimeoutError";
    this.lastObserved = lastObserved;
  }
}

function show(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return inspect(value, { depth: 6, breakLength: 120 });
}

/**
 * Polls `probe` until it reports done, and returns its value. A thrown error counts as "not yet" and
 * is recorded as the last observed state (the API may be briefly unavailable while things settle).
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<Probe<T>> | Probe<T>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const start = Date.now();
  let lastObserved: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const result = await probe();
      if (result.done) return result.value;
      lastObserved = result.observed;
    } catch (err) {
      lastObserved = err;
    }
    if (Date.now() - start >= timeoutMs) break;
    await sleep(intervalMs);
  }
  let state = "";
  if (options.describeState) {
    try {
      state = `\n--- state ---\n${await options.describeState()}`;
    } catch (err) {
      state = `\n--- state --- (describeState failed: ${show(err)})`;
    }
  }
  throw new WaitTimeoutError(
    `timed out after ${timeoutMs}ms (${attempts} attempts) waiting for: ${description}\n` +
      `--- last observed ---\n${show(lastObserved)}${state}`,
    lastObserved,
  );
}
