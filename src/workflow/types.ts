// The workflow engine's public data model: definitions (what to run), state (how far a run got, persisted
// as plain JSON), step outcomes (what a step type reports) and events (what a tick did).
// Every timestamp is an absolute number of milliseconds since the Unix epoch; the engine never reads a clock.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/** `steps`: each step waits for the one before it. `dag`: steps wait only for what they depend on. */
export type WorkflowMode = "steps" | "dag";

/** "30s", "10m", "1h30m", "250ms", or an integer number of seconds (as in the Rollout API). */
export type Duration = string | number;

export interface BackoffPolicy {
  /** Delay before the first retry. Default 1s. */
  readonly initial?: Duration;
  /** Each further retry waits `factor` times longer. Default 2. */
  readonly factor?: number;
  /** Upper bound of one delay. Default 5m. */
  readonly max?: Duration;
}

export interface RetryPolicy {
  /** Retries after the first attempt (a step runs at most `limit + 1` attempts). */
  readonly limit: number;
  readonly backoff?: BackoffPolicy;
}

export interface GroupSpec {
  readonly mode?: WorkflowMode;
  readonly steps: readonly StepDefinition[];
}

export interface StepDefinition {
  /** Unique across the whole workflow (main steps, sub-steps and finally steps). */
  readonly name: string;
  /** A registered step type, or `group`. */
  readonly type: string;
  readonly properties?: JsonObject;
  /** Names of steps in the same list that must finish first. */
  readonly dependsOn?: readonly string[];
  /** CEL; replaces the default rule ("skip when a dependency failed"). */
  readonly if?: string;
  /** Counted from the step's first start, across retries, waits and suspension. */
  readonly timeout?: Duration;
  readonly retry?: RetryPolicy;
  /** Sub-steps; only for `type: group`. */
  readonly group?: GroupSpec;
}

export interface WorkflowLimits {
  /** Largest serialised `outputs` of one step. Default 4096. */
  readonly maxOutputBytes?: number;
  /** Largest serialised `memory` of one step. Default 4096. */
  readonly maxMemoryBytes?: number;
  /** Longer step messages are cut. Default 512. */
  readonly maxMessageLength?: number;
}

export interface WorkflowDefinition {
  /** Default `steps`. */
  readonly mode?: WorkflowMode;
  readonly steps: readonly StepDefinition[];
  /** Run after the main steps end, however they ended (also after terminate). */
  readonly finally?: readonly StepDefinition[];
  /** Default `steps`: cleanup is usually ordered. */
  readonly finallyMode?: WorkflowMode;
  /** Free-form data visible to `if` (as `context`) and to step types. */
  readonly context?: JsonObject;
  /** How soon a step that waits without `until` should be polled again at the latest. Default 10s. */
  readonly pollInterval?: Duration;
  /** Applies to steps without their own `retry`. Default: no retries. */
  readonly defaultRetry?: RetryPolicy;
  readonly limits?: WorkflowLimits;
}

// ---------------------------------------------------------------------------------------------------------
// Persisted state

export const STATE_VERSION = 1;

export type StepPhase = "Pending" | "Running" | "Suspended" | "Succeeded" | "Failed" | "Skipped";
/** Phases that are persisted; a step without an entry is Pending. */
export type StartedPhase = Exclude<StepPhase, "Pending">;

export type StepReason =
  // Running
  | "Waiting"
  | "RetryBackoff"
  // Skipped
  | "ConditionFalse"
  | "UpstreamFailed"
  | "ParentSkipped"
  | "ParentTimedOut"
  // Failed (Terminated also marks steps skipped by a terminate)
  | "StepFailed"
  | "RetriesExhausted"
  | "TimedOut"
  | "Terminated"
  | "ConditionError"
  | "OutputTooLarge"
  | "MemoryTooLarge"
  | "InvalidOutcome"
  | "SubStepFailed";

export interface ResumeSignal {
  readonly token: string;
  readonly payload?: JsonValue;
}

export interface StepState {
  readonly phase: StartedPhase;
  readonly reason?: StepReason;
  readonly message?: string;
  /** 1-based; increases with each retry. */
  readonly attempt?: number;
  readonly firstStartedAt?: number;
  readonly finishedAt?: number;
  /** Not invoked again before this time (wait `until`, retry backoff, timed suspend). */
  readonly nextRunAt?: number;
  /** The token a Suspended step waits for. */
  readonly token?: string;
  /** Set by `resume()`; handed to the step on its next invocation. */
  readonly resume?: ResumeSignal;
  readonly outputs?: JsonObject;
  /** The step type's own small scratch state, carried from one invocation to the next; dropped when the step finishes. */
  readonly memory?: JsonValue;
}

export type RunPhase = "Running" | "Suspended" | "Succeeded" | "Failed" | "Terminated";

export interface TerminateRequest {
  readonly reason: string;
  /** Also stop finally steps. */
  readonly force?: boolean;
}

export interface WorkflowState {
  readonly version: typeof STATE_VERSION;
  readonly runId: string;
  /** Hash of the definition the run was started (or last restarted) with. */
  readonly definitionHash: string;
  /** Increased by every restart; part of each idempotency key so a re-run is a new side effect. */
  readonly generation: number;
  readonly phase: RunPhase;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly message?: string;
  readonly terminate?: TerminateRequest;
  /** Keyed by step name; Pending steps have no entry. */
  readonly steps: { readonly [name: string]: StepState };
}

// ---------------------------------------------------------------------------------------------------------
// Step types

export interface StepContext {
  readonly runId: string;
  readonly name: string;
  /** Group names and the step name joined by "/". */
  readonly path: string;
  readonly type: string;
  readonly properties: JsonObject;
  /** Outputs of the steps this one comes after (transitively), keyed by step name. */
  readonly inputs: { readonly [step: string]: JsonObject };
  readonly context: JsonObject;
  /** run id + generation + step path + attempt: equal for every invocation of one attempt, new per retry. */
  readonly idempotencyKey: string;
  readonly now: number;
  readonly attempt: number;
  readonly firstStartedAt: number;
  /** firstStartedAt + timeout, when the step has a timeout. */
  readonly deadline: number | undefined;
  /** What the step returned as `memory` last time (undefined at first). */
  readonly memory: JsonValue | undefined;
  /** Present once after `resume()` hit this step's token. */
  readonly resume: ResumeSignal | undefined;
}

interface OutcomeBase {
  /** Replaces the step's memory when present. */
  readonly memory?: JsonValue;
}
export interface SucceededOutcome extends OutcomeBase {
  readonly kind: "succeeded";
  readonly outputs?: JsonObject;
}
export interface WaitOutcome extends OutcomeBase {
  readonly kind: "wait";
  readonly reason: string;
  /** Not invoked again before this time; without it, on the next tick. */
  readonly until?: number;
}
export interface RetryableErrorOutcome extends OutcomeBase {
  readonly kind: "retryableError";
  readonly error: string;
}
export interface FailedOutcome extends OutcomeBase {
  readonly kind: "failed";
  readonly reason: string;
}
export interface SuspendedOutcome extends OutcomeBase {
  readonly kind: "suspended";
  readonly token: string;
  readonly reason?: string;
  /** Invoked again at this time even without a resume (timed pause). */
  readonly until?: number;
}
export type StepOutcome =
  SucceededOutcome | WaitOutcome | RetryableErrorOutcome | FailedOutcome | SuspendedOutcome;

export type StepFunction = (ctx: StepContext) => Promise<StepOutcome> | StepOutcome;

export interface StepType {
  readonly run: StepFunction;
  /** Checks `properties` before the first tick; each string is one problem. */
  readonly validate?: (properties: JsonObject) => readonly string[];
}

// ---------------------------------------------------------------------------------------------------------
// Events

interface EventBase {
  readonly step: string;
  readonly path: string;
  readonly at: number;
}
export type WorkflowEvent =
  | (EventBase & { readonly type: "StepStarted"; readonly attempt: number })
  | (EventBase & { readonly type: "StepWaiting"; readonly message: string; readonly until?: number })
  | (EventBase & { readonly type: "StepSucceeded"; readonly attempt: number })
  | (EventBase & { readonly type: "StepFailed"; readonly reason: StepReason; readonly message: string })
  | (EventBase & {
      readonly type: "StepRetrying";
      readonly attempt: number;
      readonly retryAt: number;
      readonly error: string;
    })
  | (EventBase & { readonly type: "StepSuspended"; readonly token: string; readonly message: string })
  | (EventBase & { readonly type: "StepResumed"; readonly token: string })
  | (EventBase & { readonly type: "StepSkipped"; readonly reason: StepReason; readonly message: string })
  | (EventBase & { readonly type: "StepTimedOut"; readonly timeoutMs: number })
  | { readonly type: "RunFinished"; readonly phase: RunPhase; readonly at: number; readonly message: string };

export interface TickResult {
  readonly state: WorkflowState;
  /** When the run wants its next tick at the latest; undefined when finished or waiting only for resume(). */
  readonly nextWakeAt: number | undefined;
  readonly events: readonly WorkflowEvent[];
}
