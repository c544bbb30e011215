// Rollout status (SPEC §2.1) computed from the persisted run, the workload as observed and what the reconcile
// decided. Pure and deterministic: recomputing with the same facts gives the same object, so the controller
// writes status only when something really changed.
import type { EffectiveRolloutSpec } from "../api/defaults.ts";
import type {
  HistoryEntry,
  RolloutPhase,
  RolloutStatus,
  StepState as ApiStepState,
  StepStatus,
} from "../api/rollout-status.ts";
import type { StepState, WorkflowDefinition } from "../workflow/index.ts";
import { stepGroupName, stepPhaseName } from "./compile.ts";
import {
  backgroundAnalysisStatus,
  gateMessageOf,
  inconclusiveGateOf,
  stepAnalysis,
  type GateReports,
} from "./analysis-status.ts";
import { setConditions, type ConditionInput } from "./conditions.ts";
import {
  abortHint,
  approveHint,
  retryHint,
  undoHint,
  withoutStepLabel,
  type RolloutName,
} from "../api/action-hints.ts";
import { isRunActive, outcomeOf, releasedRevisionOf, type ReleaseRecord } from "./record.ts";
import { currentPhaseOf, currentStepIndex, isInMain, stepCount } from "./run-view.ts";
import { batchMemory } from "./steps/batch.ts";
import type { WorkloadSnapshot } from "./workload-port.ts";
import { trafficWeightOf } from "./traffic-env.ts";

/** What the reconcile concluded before status is computed. */
export type Standing =
  | { readonly kind: "invalid"; readonly message: string }
  | { readonly kind: "workload-missing"; readonly message: string }
  | { readonly kind: "detaching"; readonly message: string; readonly disabled: boolean }
  | { readonly kind: "disabled" }
  /** The workload cannot be judged yet; the run (if any) is shown as it is. */
  | { readonly kind: "waiting"; readonly message: string }
  | {
      readonly kind: "attached";
      /** The workload's current template was not held by Slipway and its native rollout is not over. */
      readonly nativeRolloutInProgress: boolean;
      /** The workload still holds the recorded release (so a retry can act on it). */
      readonly releaseHeld?: boolean;
    };

export interface StatusInput {
  readonly previous: RolloutStatus | undefined;
  readonly generation: number | undefined;
  readonly spec: EffectiveRolloutSpec | undefined;
  readonly standing: Standing;
  readonly record: ReleaseRecord | undefined;
  readonly definition: WorkflowDefinition | undefined;
  readonly snapshot: WorkloadSnapshot | undefined;
  readonly history: readonly HistoryEntry[];
  readonly now: number;
  /** Analysis gate summaries reported in this reconcile. */
  readonly gates?: GateReports;
  /** The Rollout, for the commands a message suggests. */
  readonly rollout?: RolloutName;
}

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

export function computeStatus(input: StatusInput): RolloutStatus {
  const { record, snapshot, standing } = input;
  const view = describe(input);
  const active = isRunActive(record);
  const outcome = record === undefined || active ? undefined : outcomeOf(record);
  const stepIndex = view.stepIndex;
  const conditions = setConditions(
    input.previous?.conditions ?? [],
    conditionsFor(input, view, outcome),
    new Date(input.now).toISOString(),
    input.generation,
  ).filter((c) => !(c.type === "Succeeded" && active && record?.kind === "release"));
  const stableRevision = stableRevisionOf(input, outcome);
  const status: Record<string, unknown> = {
    observedGeneration: input.generation,
    phase: view.phase,
    message: truncate(view.message, 1024),
    stableRevision,
    canaryRevision: active || outcome === "Aborted" ? record?.canaryRevision : undefined,
    currentStepIndex: stepIndex,
    currentStepState: view.stepState,
    canaryReplicas: snapshot?.canary.pods,
    canaryReadyReplicas: snapshot?.canary.available,
    // Counted, never derived from N: while pods move (or N just changed) canary + stable ≠ N.
    stableReplicas: snapshot?.stable.pods,
    trafficWeight: trafficWeightOf(record?.run) ?? input.previous?.trafficWeight,
    conditions,
    steps: record?.kind === "release" ? stepStatuses(record, input) : undefined,
    backgroundAnalysis: record?.kind === "release" ? backgroundAnalysisStatus(record) : undefined,
    history: input.history.length > 0 ? input.history : undefined,
    workflow: record,
  };
  if (standing.kind === "disabled") {
    for (const key of ["canaryRevision", "currentStepState", "steps", "workflow"]) delete status[key];
  }
  for (const [key, value] of Object.entries(status)) if (value === undefined) delete status[key];
  return status as RolloutStatus;
}

interface View {
  readonly phase: RolloutPhase;
  readonly message: string;
  readonly stepIndex: number;
  readonly stepState?: ApiStepState;
  /** Reason of the Paused condition when phase is Paused. */
  readonly pauseReason?: string;
}

function describe(input: StatusInput): View {
  const { standing, record, definition, spec } = input;
  switch (standing.kind) {
    case "invalid":
      return { phase: "Initializing", message: standing.message, stepIndex: 0 };
    case "workload-missing":
      return { phase: "Initializing", message: standing.message, stepIndex: 0 };
    case "detaching":
      return { phase: "Finalizing", message: standing.message, stepIndex: 0 };
    case "disabled":
      return {
        phase: "Disabled",
        message: "the Rollout is disabled: releases go out natively",
        stepIndex: 0,
      };
    case "waiting":
    case "attached":
      break;
    default: {
      const unknown: never = standing;
      throw new Error(`unknown standing ${JSON.stringify(unknown)}`);
    }
  }
  const waiting = standing.kind === "waiting" ? standing.message : undefined;
  const withWait = (view: View): View =>
    waiting === undefined ? view : { ...view, message: `${view.message}; ${waiting}` };
  if (record === undefined || (!isRunActive(record) && outcomeOf(record) !== "Aborted")) {
    if (standing.kind === "attached" && standing.nativeRolloutInProgress) {
      return {
        phase: "Initializing",
        message:
          "the workload's current template was not held by Slipway (it changed before this Rollout existed, " +
          "or could not be held): its native rollout is finishing; Slipway manages the next release",
        stepIndex: 0,
      };
    }
    if (waiting !== undefined) return { phase: "Initializing", message: waiting, stepIndex: 0 };
    const outcome = record === undefined ? undefined : outcomeOf(record);
    const last =
      outcome === undefined || record === undefined
        ? ""
        : ` (last release ${releasedRevisionOf(record)}: ${outcome})`;
    return { phase: "Healthy", message: `no release in progress${last}`, stepIndex: 0 };
  }
  if (record.kind === "rollback") {
    return withWait({
      phase: "Finalizing",
      message: `rolling back: the template is back on ${record.canaryRevision}; ${runMessage(record)}`,
      stepIndex: 0,
    });
  }
  const n = stepCount(definition);
  const index = currentStepIndex(record.run, definition);
  if (!isRunActive(record)) {
    return withWait({
      phase: "Aborted",
      message: `${atStep("aborted", index, n, abortReason(record, index) ?? record.run.message ?? "a step failed")}; ${afterAbort(standing, input.rollout)}`,
      stepIndex: index,
    });
  }
  if (!isInMain(record.run, definition)) {
    const aborting = record.run.terminate !== undefined || record.run.steps["abort"] !== undefined;
    if (aborting && record.end?.outcome !== "Superseded") {
      return withWait({
        phase: "Aborted",
        message: `${atStep("aborting", index, n, abortReason(record, index) ?? "a step failed")}; ${runMessage(record)}`,
        stepIndex: index,
      });
    }
    if (aborting) {
      return withWait({
        phase: "Progressing",
        message: `${record.end?.reason}; ${runMessage(record)}`,
        stepIndex: index,
      });
    }
    return withWait({
      phase: "Finalizing",
      message: `step ${n}/${n} done; ${runMessage(record)}`,
      stepIndex: n,
    });
  }
  const current = currentPhaseOf(record.run, index);
  const stepState = stepStateOf(current);
  const gates = current?.phase === "analysis" ? gateMessageOf(record.run, index) : undefined;
  const detail = withoutStepLabel(gates ?? current?.state.message ?? "starting", index);
  const base = { stepIndex: index, ...(stepState === undefined ? {} : { stepState }) };
  if (spec?.paused === true) {
    return withWait({
      ...base,
      phase: "Paused",
      message: `paused (spec.paused) at step ${index}/${n}: ${detail}`,
    });
  }
  if (record.failurePause !== undefined) {
    const cause = record.failurePause.cause;
    const advice = cause === undefined ? "to keep waiting" : "to continue";
    return withWait({
      ...base,
      phase: "Paused",
      pauseReason: cause ?? "FailurePause",
      message: `${record.failurePause.reason}; ${advice}: ${approveHint(input.rollout, record.failurePause.step)}; to stop: ${abortHint(input.rollout)}`,
    });
  }
  const inconclusive = inconclusiveGateOf(record.run, index);
  if (inconclusive !== undefined) {
    const why = withoutStepLabel(inconclusive.message ?? "analysis inconclusive", index);
    return withWait({
      ...base,
      phase: "Paused",
      pauseReason: "AnalysisInconclusive",
      message: `step ${index}/${n}: ${why}`,
    });
  }
  return withWait({ ...base, phase: "Progressing", message: `step ${index}/${n}: ${detail}` });
}

/**
 * `aborted at step 2/4: <why>`; a reason that names its actor continues the sentence instead:
 * `aborted at step 2/4 by alice (rollouts.slipway.dev/abort)`.
 */
function atStep(verb: string, index: number, n: number, reason: string): string {
  const manual = /^aborted (by .*)$/.exec(reason)?.[1];
  return manual === undefined
    ? `${verb} at step ${index}/${n}: ${reason}`
    : `${verb} at step ${index}/${n} ${manual}`;
}

function abortReason(record: ReleaseRecord, index: number): string | undefined {
  const reason = record.end?.reason ?? failedStepMessage(record);
  return reason === undefined ? undefined : withoutStepLabel(reason, index);
}

/** Why a run that failed by itself is aborting: the message of the step that failed (not of its groups). */
function failedStepMessage(record: ReleaseRecord): string | undefined {
  for (const state of Object.values(record.run.steps)) {
    if (state.phase === "Failed" && state.reason !== "SubStepFailed" && state.reason !== "Terminated")
      return state.message;
  }
  return undefined;
}

function runMessage(record: ReleaseRecord): string {
  for (const state of Object.values(record.run.steps)) {
    if ((state.phase === "Running" || state.phase === "Suspended") && state.message !== undefined)
      return state.message;
  }
  return record.run.message ?? "in progress";
}

function stepStateOf(current: ReturnType<typeof currentPhaseOf>): ApiStepState | undefined {
  if (current === undefined) return undefined;
  switch (current.phase) {
    case "upgrade":
      return batchMemory(current.state.memory).verifying === true ? "Verifying" : "Upgrading";
    case "traffic":
      return "ShiftingTraffic";
    case "analysis":
      return "Analyzing";
    case "pause":
      return "Paused";
    default: {
      const unknown: never = current.phase;
      throw new Error(`unknown phase ${String(unknown)}`);
    }
  }
}

function stepStatuses(record: ReleaseRecord, input: StatusInput): StepStatus[] {
  const definition = input.definition;
  const out: StepStatus[] = [];
  for (let i = 1; i <= stepCount(definition); i++) {
    const group = record.run.steps[stepGroupName(i)];
    const pause = record.run.steps[stepPhaseName(i, "pause")];
    const by = pause?.outputs?.["approvedBy"];
    const current = currentPhaseOf(record.run, i);
    const running =
      (current?.phase === "analysis" ? gateMessageOf(record.run, i) : undefined) ?? current?.state.message;
    const entry: Record<string, unknown> = {
      index: i,
      phase: stepPhase(group),
      startedAt: iso(group?.firstStartedAt),
      finishedAt: iso(group?.finishedAt),
      approvedBy: typeof by === "string" ? by : undefined,
      message: truncate(group?.phase === "Failed" ? group.message : running, 1024),
      analysis: stepAnalysis(
        record.run,
        i,
        input.gates ?? new Map(),
        input.previous?.steps?.find((s) => s.index === i)?.analysis,
      ),
    };
    for (const [key, value] of Object.entries(entry)) if (value === undefined) delete entry[key];
    out.push(entry as unknown as StepStatus);
  }
  return out;
}

function stepPhase(state: StepState | undefined): StepStatus["phase"] {
  if (state === undefined) return "Pending";
  switch (state.phase) {
    case "Running":
    case "Suspended":
      return "Running";
    case "Succeeded":
    case "Failed":
    case "Skipped":
      return state.phase;
    default: {
      const unknown: never = state.phase;
      throw new Error(`unknown step phase ${String(unknown)}`);
    }
  }
}

/** What a human can do after an abort; never an action the controller would ignore. */
function afterAbort(standing: Standing, rollout: RolloutName | undefined): string {
  if (standing.kind === "attached" && standing.releaseHeld === false) {
    return "the workload no longer holds this release, so it cannot be retried; change the template to start a new release";
  }
  return `to start again: ${retryHint(rollout)}; to end it: ${undoHint(rollout)} (the template back to the stable revision)`;
}

function stableRevisionOf(input: StatusInput, outcome: ReturnType<typeof outcomeOf>): string | undefined {
  const { record, snapshot, previous } = input;
  if (isRunActive(record) || outcome === "Aborted") return record?.stableRevision || snapshot?.stableRevision;
  // Idle: the workload's current revision is the stable one; the webhook reads it for the next release.
  if (snapshot?.stableRevision !== undefined) return snapshot.stableRevision;
  if (record !== undefined && outcome === "Succeeded") return record.canaryRevision;
  return previous?.stableRevision;
}

function conditionsFor(
  input: StatusInput,
  view: View,
  outcome: ReturnType<typeof outcomeOf>,
): ConditionInput[] {
  const { phase, message } = view;
  const { standing, record } = input;
  const out: ConditionInput[] = [];
  if (standing.kind === "workload-missing") {
    out.push({
      type: "WorkloadAttached",
      status: "False",
      reason: "WorkloadNotFound",
      message: standing.message,
    });
  } else if (standing.kind === "disabled") {
    out.push({
      type: "WorkloadAttached",
      status: "False",
      reason: "Disabled",
      message: "the Rollout is disabled",
    });
  } else if (standing.kind !== "invalid" && standing.kind !== "detaching") {
    out.push({
      type: "WorkloadAttached",
      status: "True",
      reason: "Attached",
      message: "the workload is attached",
    });
  }
  const active = isRunActive(record);
  out.push({
    type: "Progressing",
    status: active ? "True" : "False",
    reason: active ? (phase === "Progressing" ? "ReleaseInProgress" : phase) : (outcome ?? "NoRelease"),
    message,
  });
  if (!active && outcome !== undefined) {
    out.push({
      type: "Succeeded",
      status: outcome === "Succeeded" ? "True" : "False",
      reason: outcome,
      message: succeededMessage(record, outcome, message),
    });
  }
  out.push({
    type: "Paused",
    status: phase === "Paused" ? "True" : "False",
    reason: phase === "Paused" ? (view.pauseReason ?? "SpecPaused") : "NotPaused",
    message: phase === "Paused" ? message : "",
  });
  out.push({
    type: "Aborted",
    status: phase === "Aborted" ? "True" : "False",
    reason: phase === "Aborted" ? "Aborted" : "NotAborted",
    message: phase === "Aborted" ? (record?.end?.reason ?? message) : "",
  });
  return out;
}

function succeededMessage(record: ReleaseRecord | undefined, outcome: string, fallback: string): string {
  if (record === undefined) return fallback;
  const revision = releasedRevisionOf(record);
  if (outcome === "Succeeded") return `release ${revision} succeeded`;
  if (outcome === "RolledBack" && record.rollbackReason !== undefined)
    return `release ${revision} ${record.rollbackReason}`;
  return record.end?.reason ?? fallback;
}

function truncate(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
