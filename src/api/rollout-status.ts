// Rollout status (SPEC.md §2.1). Its shape is a contract for the CLI and the printer columns; lists are
// bounded so that status stays well under 100 KiB even with 50 steps and analysis history.
import { z } from "zod";
import {
  CONDITIONS_LIST_META,
  ConditionSchema,
  generation,
  int,
  list,
  oneOf,
  text,
  timestamp,
  type DeepReadonly,
} from "./common.ts";

export const ROLLOUT_PHASES = [
  "Initializing",
  "Healthy",
  "Progressing",
  "Paused",
  "Aborted",
  "Finalizing",
  "Disabled",
] as const;
export const STEP_STATES = [
  "Upgrading",
  "Verifying",
  "ShiftingTraffic",
  "Analyzing",
  "Paused",
  "Ready",
] as const;
export const STEP_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Skipped"] as const;
export const MEASUREMENT_PHASES = ["Successful", "Failed", "Inconclusive", "Error"] as const;
export const METRIC_PHASES = ["Pending", "Running", ...MEASUREMENT_PHASES] as const;
export const RELEASE_OUTCOMES = ["Succeeded", "RolledBack", "Aborted", "Superseded"] as const;
export const CONDITION_TYPES = ["WorkloadAttached", "Progressing", "Succeeded", "Paused", "Aborted"] as const;

/** Measurements kept per metric; older ones are dropped. */
export const MAX_MEASUREMENTS = 10;
/** Releases kept in status.history. */
export const MAX_HISTORY = 10;

export const MeasurementSchema = z.strictObject({
  value: text('the measured value as text ("0.998", "NaN")', 256).optional(),
  phase: oneOf("outcome of this measurement", MEASUREMENT_PHASES),
  at: timestamp,
  message: text("why, for Error and Inconclusive", 1024).optional(),
});

export const MetricStatusSchema = z.strictObject({
  metric: text("metric name", 253, 1),
  template: text("template the metric comes from", 253).optional(),
  phase: oneOf("outcome of the metric so far", METRIC_PHASES),
  message: text("why the metric is in this phase", 1024).optional(),
  count: int("measurements taken", 0).optional(),
  successful: int("successful measurements", 0).optional(),
  failed: int("failed measurements", 0).optional(),
  inconclusive: int("inconclusive measurements", 0).optional(),
  errors: int("errored measurements", 0).optional(),
  consecutiveErrors: int("errors in a row", 0).optional(),
  nextMeasurementAt: timestamp.optional(),
  measurements: list("the last measurements", MeasurementSchema, MAX_MEASUREMENTS).optional(),
});

export const StepStatusSchema = z.strictObject({
  index: int("1-based step index", 1),
  phase: oneOf("phase of the step", STEP_PHASES),
  startedAt: timestamp.optional(),
  finishedAt: timestamp.optional(),
  approvedBy: text("who approved the pause", 512).optional(),
  message: text("what the step waits for or why it failed", 1024).optional(),
  analysis: list("metric gates of the step", MetricStatusSchema, 32).optional(),
});

export const HistoryEntrySchema = z.strictObject({
  revision: text("canary revision of the release", 253),
  outcome: oneOf("how the release ended", RELEASE_OUTCOMES),
  startedAt: timestamp,
  finishedAt: timestamp.optional(),
  reason: text("why it ended this way", 1024).optional(),
});

export const RolloutStatusSchema = z.strictObject({
  observedGeneration: generation("generation the controller last acted on").optional(),
  phase: oneOf("phase of the Rollout", ROLLOUT_PHASES).optional(),
  message: text("human-readable state", 1024).optional(),
  stableRevision: text(
    "pod-template-hash or controller-revision-hash of the stable revision",
    253,
  ).optional(),
  canaryRevision: text("revision hash of the canary", 253).optional(),
  currentStepIndex: int("1-based step of the release; 0 when idle", 0).optional(),
  currentStepState: oneOf("state within the current step", STEP_STATES).optional(),
  canaryReplicas: int("pods on the canary revision", 0).optional(),
  canaryReadyReplicas: int("ready pods on the canary revision", 0).optional(),
  stableReplicas: int("pods on the stable revision", 0).optional(),
  trafficWeight: int("percentage of traffic on the canary", 0, 100).optional(),
  conditions: list("metav1.Conditions", ConditionSchema, 16).meta(CONDITIONS_LIST_META).optional(),
  steps: list("one entry per step of the current release", StepStatusSchema, 50).optional(),
  backgroundAnalysis: list("background analysis of the current release", MetricStatusSchema, 32).optional(),
  history: list("the last releases", HistoryEntrySchema, MAX_HISTORY).optional(),
  workflow: z
    .looseObject({})
    .describe("the workflow engine's persisted state (opaque to the API)")
    .meta({ "x-kubernetes-preserve-unknown-fields": true })
    .optional(),
});

export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];
export type StepState = (typeof STEP_STATES)[number];
export type StepPhase = (typeof STEP_PHASES)[number];
export type MeasurementPhase = (typeof MEASUREMENT_PHASES)[number];
export type MetricPhase = (typeof METRIC_PHASES)[number];
export type ReleaseOutcome = (typeof RELEASE_OUTCOMES)[number];
export type ConditionType = (typeof CONDITION_TYPES)[number];
export type Measurement = DeepReadonly<z.infer<typeof MeasurementSchema>>;
export type MetricStatus = DeepReadonly<z.infer<typeof MetricStatusSchema>>;
export type StepStatus = DeepReadonly<z.infer<typeof StepStatusSchema>>;
export type HistoryEntry = DeepReadonly<z.infer<typeof HistoryEntrySchema>>;
export type Condition = DeepReadonly<z.infer<typeof ConditionSchema>>;
export type RolloutStatus = DeepReadonly<z.infer<typeof RolloutStatusSchema>>;
