// Constructors for what a step type returns. A step that wants to keep scratch state between invocations
// spreads one of these and adds `memory`: `return { ...wait("3/5 measurements"), memory: { taken: 3 } }`.
import type {
  FailedOutcome,
  JsonObject,
  RetryableErrorOutcome,
  SucceededOutcome,
  SuspendedOutcome,
  WaitOutcome,
} from "./types.ts";

export function succeeded(outputs?: JsonObject): SucceededOutcome {
  return outputs === undefined ? { kind: "succeeded" } : { kind: "succeeded", outputs };
}

/** Not done yet: invoke again at `until`, or on the next tick without it. Never counted as a failure. */
export function wait(reason: string, until?: number): WaitOutcome {
  return until === undefined ? { kind: "wait", reason } : { kind: "wait", reason, until };
}

/** A transient error: retried with backoff while the step's retry limit allows, then the step fails. */
export function retryableError(error: string | Error): RetryableErrorOutcome {
  return { kind: "retryableError", error: typeof error === "string" ? error : error.message };
}

/** A final failure: no retry. */
export function failed(reason: string): FailedOutcome {
  return { kind: "failed", reason };
}

/** Wait for `resume(state, token)`; with `until`, also invoke again at that time. */
export function suspended(
  token: string,
  options: { reason?: string; until?: number } = {},
): SuspendedOutcome {
  return { kind: "suspended", token, ...options };
}
