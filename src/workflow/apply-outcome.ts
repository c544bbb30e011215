// What a step's outcome does to its persisted state: the retry/backoff rules, the size caps on outputs and
// memory, and the events the change produces. Pure: the same state, outcome and time give the same result.
import type { CompiledStep, CompiledWorkflow } from "./compile.ts";
import type { JsonObject, JsonValue, StepOutcome, StepReason, StepState, WorkflowEvent } from "./types.ts";

export interface Applied {
  readonly state: StepState;
  readonly events: readonly WorkflowEvent[];
}

/** Delay before attempt `failedAttempt + 1`: initial × factor^(failedAttempt − 1), capped at max. */
export function backoffDelayMs(step: CompiledStep, failedAttempt: number): number {
  const { initialMs, factor, maxMs } = step.retry;
  return Math.min(maxMs, Math.round(initialMs * factor ** Math.max(0, failedAttempt - 1)));
}

export function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, Math.max(0, maxLength - 1))}…`;
}

type Normalised =
  { readonly ok: true; readonly value: JsonValue; readonly bytes: number } | { readonly ok: false };

/** The value as it will read back from JSON (drops undefined, turns Dates into strings), and its size. */
function normalise(value: unknown): Normalised {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return { ok: false };
    return { ok: true, value: JSON.parse(text) as JsonValue, bytes: Buffer.byteLength(text) };
  } catch {
    return { ok: false };
  }
}

function isPlainObject(value: JsonValue): value is { readonly [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function applyOutcome(
  plan: CompiledWorkflow,
  step: CompiledStep,
  previous: StepState,
  outcome: StepOutcome,
  now: number,
): Applied {
  const events: WorkflowEvent[] = [];
  const base = { step: step.name, path: step.path, at: now };
  const attempt = previous.attempt ?? 1;
  const cut = (text: string): string => truncate(text, plan.maxMessageLength);
  const fail = (reason: StepReason, message: string): Applied => {
    events.push({ ...base, type: "StepFailed", reason, message: cut(message) });
    return { state: finished(previous, "Failed", now, { reason, message: cut(message) }), events };
  };

  if (previous.resume !== undefined)
    events.push({ ...base, type: "StepResumed", token: previous.resume.token });
  const kind = (outcome as { kind?: unknown } | undefined)?.kind;
  if (!isKnownKind(kind)) {
    return fail(
      "InvalidOutcome",
      `step type "${step.type}" returned ${describe(outcome)}, not a step outcome`,
    );
  }

  let memory = previous.memory;
  if (outcome.memory !== undefined) {
    const normalised = normalise(outcome.memory);
    if (!normalised.ok)
      return fail("InvalidOutcome", `step type "${step.type}" returned memory that is not JSON`);
    if (normalised.bytes > plan.maxMemoryBytes) {
      return fail(
        "MemoryTooLarge",
        `step "${step.name}" kept ${normalised.bytes} bytes of memory; the limit is ${plan.maxMemoryBytes} ` +
          `(limits.maxMemoryBytes): keep only a summary in memory`,
      );
    }
    memory = normalised.value;
  }
  const carried = stepState({ ...previous, memory });

  switch (outcome.kind) {
    case "succeeded": {
      const normalised = normalise(outcome.outputs ?? {});
      if (!normalised.ok || !isPlainObject(normalised.value)) {
        return fail("InvalidOutcome", `step "${step.name}" returned outputs that are not a JSON object`);
      }
      if (normalised.bytes > plan.maxOutputBytes) {
        return fail(
          "OutputTooLarge",
          `step "${step.name}" returned ${normalised.bytes} bytes of outputs; the limit is ${plan.maxOutputBytes} ` +
            `(limits.maxOutputBytes): return a reference to large data instead of the data`,
        );
      }
      const outputs = Object.keys(normalised.value).length > 0 ? normalised.value : undefined;
      events.push({ ...base, type: "StepSucceeded", attempt });
      return { state: finished(carried, "Succeeded", now, { outputs }), events };
    }
    case "failed":
      return fail("StepFailed", outcome.reason);
    case "retryableError": {
      const error = cut(outcome.error);
      if (attempt > step.retry.limit) {
        const tries = attempt === 1 ? "1 attempt" : `${attempt} attempts`;
        return fail("RetriesExhausted", `failed after ${tries}: ${error}`);
      }
      const retryAt = now + backoffDelayMs(step, attempt);
      events.push({ ...base, type: "StepRetrying", attempt: attempt + 1, retryAt, error });
      return {
        state: running(carried, {
          reason: "RetryBackoff",
          message: error,
          attempt: attempt + 1,
          nextRunAt: retryAt,
        }),
        events,
      };
    }
    case "wait": {
      const message = cut(outcome.reason);
      const until = outcome.until !== undefined && outcome.until > now ? outcome.until : undefined;
      if (previous.reason !== "Waiting" || previous.message !== message || previous.phase !== "Running") {
        events.push({ ...base, type: "StepWaiting", message, ...(until === undefined ? {} : { until }) });
      }
      return { state: running(carried, { reason: "Waiting", message, attempt, nextRunAt: until }), events };
    }
    case "suspended": {
      const message = cut(outcome.reason ?? `waiting for resume with token "${outcome.token}"`);
      if (previous.phase !== "Suspended" || previous.token !== outcome.token) {
        events.push({ ...base, type: "StepSuspended", token: outcome.token, message });
      }
      const until = outcome.until !== undefined && outcome.until > now ? outcome.until : undefined;
      const state = stepState({
        phase: "Suspended",
        ...kept(carried),
        message,
        token: outcome.token,
        nextRunAt: until,
      });
      return { state, events };
    }
  }
}

function isKnownKind(kind: unknown): kind is StepOutcome["kind"] {
  return (
    kind === "succeeded" ||
    kind === "wait" ||
    kind === "retryableError" ||
    kind === "failed" ||
    kind === "suspended"
  );
}

function describe(value: unknown): string {
  const normalised = normalise(value);
  return normalised.ok ? truncate(JSON.stringify(normalised.value), 120) : String(value);
}

type Loose<T> = { [K in keyof T]?: T[K] | undefined };

/** A step state without undefined-valued keys, so it is byte-for-byte what reads back from JSON. */
export function stepState(fields: Loose<StepState> & Pick<StepState, "phase">): StepState {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as unknown as StepState;
}

/** The fields that survive every transition of a started step. */
function kept(previous: StepState): Loose<StepState> {
  return { attempt: previous.attempt, firstStartedAt: previous.firstStartedAt, memory: previous.memory };
}

function running(
  previous: StepState,
  fields: { reason: StepReason; message: string; attempt: number; nextRunAt: number | undefined },
): StepState {
  return stepState({ phase: "Running", ...kept(previous), ...fields });
}

/**
 * A final state: drops what only matters while a step is in progress, including `memory` (scratch state;
 * a step that wants to leave a result returns it as outputs), which keeps finished runs small.
 */
export function finished(
  previous: StepState,
  phase: "Succeeded" | "Failed" | "Skipped",
  now: number,
  fields: { reason?: StepReason; message?: string; outputs?: JsonObject | undefined },
): StepState {
  return stepState({ phase, ...kept(previous), memory: undefined, ...fields, finishedAt: now });
}
