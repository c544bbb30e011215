// The workflow step type `analysis`: a step gate (`steps[].analysis`). It takes `count` measurements per
// metric at `interval` after `initialDelay`, counted from the step's first start (persisted by the engine).
// Between measurements it returns wait(…, until = next measurement); the gate's counters and last
// measurements live in the step's memory, so a restarted controller continues the same gate.
//
// Outcomes: Successful → succeeded (outputs: the gate summary); Failed → failed, with the metric, value,
// condition and limit in the message; Inconclusive → suspended with the approval token (a human approves
// to continue, or aborts). Properties, as src/rollout/compile.ts emits them:
//   {step: 2, template: {name, clusterScope}, args: [{name, value}], token?: "approve-2"}
import { z } from "zod";
import {
  failed,
  retryableError,
  succeeded,
  suspended,
  wait,
  type JsonObject,
  type JsonValue,
  type StepContext,
  type StepOutcome,
  type StepType,
} from "../workflow/index.ts";
import { abortHint, approveHint } from "../api/action-hints.ts";
import type { MetricStatus } from "../api/rollout-status.ts";
import { advanceGate, compactGateState, type GateState } from "./gate.ts";
import { NOOP_ANALYSIS_METRICS, type AnalysisMetricsSink } from "./metrics.ts";
import type { Outcome } from "./outcome.ts";
import type { MetricProvider } from "./provider.ts";
import { metricStatuses, progressMessage, verdictMessage } from "./summary.ts";
import { readGateState } from "./state-schema.ts";
import { resolveTemplates, type AnalysisScope, type TemplateSource } from "./templates.ts";

export const ANALYSIS_STEP_TYPE = "analysis";
/** Why a release pauses on an inconclusive gate (status reason; SPEC §2.2). */
export const ANALYSIS_INCONCLUSIVE = "AnalysisInconclusive";
/** The engine's default step memory limit; a definition may raise it with limits.maxMemoryBytes. */
export const DEFAULT_MEMORY_BYTES = 4096;

const TemplateRefSchema = z.strictObject({ name: z.string().min(1), clusterScope: z.boolean().optional() });
const PropertiesSchema = z
  .looseObject({
    step: z.int().min(1).optional(),
    template: TemplateRefSchema.optional(),
    templates: z.array(TemplateRefSchema).min(1).optional(),
    args: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
    token: z.string().min(1).optional(),
  })
  .refine((p) => (p.template === undefined) !== (p.templates === undefined), {
    message: "set exactly one of template and templates",
  });
type Properties = z.infer<typeof PropertiesSchema>;

/** What the reconciler learns from each invocation (to fill status.steps[].analysis, Events). */
export interface GateReport {
  readonly runId: string;
  readonly path: string;
  readonly step: number | undefined;
  readonly outcome: Outcome;
  readonly metrics: readonly MetricStatus[];
  /** The step's message for this outcome. */
  readonly message: string;
}

export interface AnalysisStepDeps {
  readonly templates: TemplateSource;
  readonly provider: MetricProvider;
  readonly scope: AnalysisScope;
  readonly metrics?: AnalysisMetricsSink;
  readonly onReport?: (report: GateReport) => void;
  /** Keep memory and outputs under this (the definition's limits.maxMemoryBytes / maxOutputBytes). */
  readonly maxMemoryBytes?: number;
}

export function analysisStepType(deps: AnalysisStepDeps): StepType {
  return {
    validate: (properties) => {
      const parsed = PropertiesSchema.safeParse(properties);
      if (parsed.success) return [];
      return parsed.error.issues.map((i) => `${["properties", ...i.path].join(".")}: ${i.message}`);
    },
    run: (ctx) => runGate(deps, ctx),
  };
}

function approveAdvice(step: number | undefined, scope: AnalysisScope): string {
  if (step === undefined) return "approve to continue, or abort";
  return `to continue: ${approveHint(scope.rollout, step)}; to stop: ${abortHint(scope.rollout)}`;
}

/** The token that resumes an inconclusive gate: the step's approval token (`approve: <step>`). */
export function gateToken(properties: Properties, stepName: string): string {
  return properties.token ?? (properties.step === undefined ? stepName : `approve-${properties.step}`);
}

async function runGate(deps: AnalysisStepDeps, ctx: StepContext): Promise<StepOutcome> {
  const properties = PropertiesSchema.parse(ctx.properties);
  const state = readGateState(ctx.memory);
  const budget = deps.maxMemoryBytes ?? DEFAULT_MEMORY_BYTES;
  if (ctx.resume !== undefined) {
    // A human approved the inconclusive gate: the step continues (SPEC §2.2).
    const by = objectOf(ctx.resume.payload)["approvedBy"];
    return succeeded({
      outcome: ANALYSIS_INCONCLUSIVE,
      approved: true,
      ...(typeof by === "string" && by !== "" ? { approvedBy: by } : {}),
      ...(state === undefined ? {} : { gate: asJson(compactGateState(state, budget - 256)) }),
    });
  }
  const refs = properties.templates ?? (properties.template === undefined ? [] : [properties.template]);
  const resolved = await resolveTemplates(refs, properties.args ?? [], deps.scope, deps.templates);
  // A missing template or argument may be fixed by the user: retried with the step's backoff, then failed.
  if (!resolved.ok)
    return { ...retryableError(resolved.problem), ...(state === undefined ? {} : { memory: asJson(state) }) };

  const sink = deps.metrics ?? NOOP_ANALYSIS_METRICS;
  const result = await advanceGate({
    state,
    metrics: resolved.metrics,
    startedAt: ctx.firstStartedAt,
    now: ctx.now,
    bounded: true,
    provider: deps.provider,
    observe: (_metric, m) => sink.measurement(m.phase),
  });
  const next = compactGateState(result.state, budget - 256);
  const message =
    result.outcome === "Running"
      ? progressMessage(next, new Map(resolved.metrics.map((m) => [m.key, m.metric.count])), result.nextAt)
      : verdictMessage(next, result.outcome);
  deps.onReport?.({
    runId: ctx.runId,
    path: ctx.path,
    step: properties.step,
    outcome: result.outcome,
    metrics: metricStatuses(next),
    message,
  });
  const memory = asJson(next);
  switch (result.outcome) {
    case "Running":
      return { ...wait(message, result.nextAt), memory };
    case "Successful":
      return succeeded({ outcome: "Successful", gate: memory });
    case "Failed":
      return failed(message);
    case "Inconclusive":
      return {
        ...suspended(gateToken(properties, ctx.name), {
          reason: `${message}; ${approveAdvice(properties.step, deps.scope)}`,
        }),
        memory,
      };
    default: {
      const unknown: never = result.outcome;
      throw new Error(`unknown outcome ${String(unknown)}`);
    }
  }
}

/** The gate state of an analysis step as persisted by the engine: memory while it runs, outputs once done. */
export function gateStateOfStep(
  step: { readonly memory?: JsonValue; readonly outputs?: JsonObject } | undefined,
): GateState | undefined {
  if (step === undefined) return undefined;
  return readGateState(step.memory) ?? readGateState(step.outputs?.["gate"]);
}

function asJson(state: GateState): JsonValue {
  return state as unknown as JsonValue;
}

function objectOf(value: JsonValue | undefined): { readonly [key: string]: JsonValue } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return value as { readonly [key: string]: JsonValue };
}

/** True when a step is an analysis gate suspended on an Inconclusive outcome (status reason AnalysisInconclusive). */
export function isInconclusiveGate(
  step: { readonly phase: string; readonly memory?: JsonValue } | undefined,
): boolean {
  if (step?.phase !== "Suspended") return false;
  const state = readGateState(step.memory);
  return state !== undefined && state.metrics.some((m) => m.phase === "Inconclusive");
}
