// Background analysis (`strategy.canary.analysis`): measures from `startingStep` until the release ends,
// whatever the steps are doing (moving pods, waiting in a long pause, waiting for approval).
//
// It is a check the reconciler calls on every reconcile of a release in its main steps (not a workflow
// step: a step that never ends by itself would keep a `steps`-mode run from finishing, and a failure must
// abort the release at once, even while a pause step is suspended). Its state is plain JSON the reconciler
// persists with the release record; the reconciler requeues at `nextAt`, and on `failed` aborts the release
// (or pauses it with onFailure: pause), on `inconclusive` pauses it with reason AnalysisInconclusive.
// Approving clears the inconclusive verdict (`approved: true`) and measuring goes on.
import type { MetricStatus } from "../api/rollout-status.ts";
import { acknowledgeInconclusive, advanceGate, compactGateState, type GateState } from "./gate.ts";
import { NOOP_ANALYSIS_METRICS, type AnalysisMetricsSink } from "./metrics.ts";
import type { MetricProvider } from "./provider.ts";
import { metricStatuses, progressMessage, verdictMessage } from "./summary.ts";
import {
  resolveTemplates,
  type AnalysisScope,
  type ArgValue,
  type TemplateRef,
  type TemplateSource,
} from "./templates.ts";

export const BACKGROUND_STATE_VERSION = 1;

export interface BackgroundState {
  readonly version: typeof BACKGROUND_STATE_VERSION;
  /** When the background analysis began (the start of startingStep). */
  readonly startedAt: number;
  readonly gate: GateState;
}

export interface BackgroundInput {
  readonly state: BackgroundState | undefined;
  readonly templates: readonly TemplateRef[];
  readonly args: readonly ArgValue[];
  readonly scope: AnalysisScope;
  readonly now: number;
  /** A human approved the release while the analysis was Inconclusive: clear it and keep measuring. */
  readonly approved?: boolean;
  readonly deps: {
    readonly templates: TemplateSource;
    readonly provider: MetricProvider;
    readonly metrics?: AnalysisMetricsSink;
  };
  /** Bound for the persisted state (default 8 KiB). */
  readonly maxStateBytes?: number;
}

interface BackgroundReport {
  readonly state: BackgroundState;
  readonly message: string;
  /** For status.backgroundAnalysis. */
  readonly metrics: readonly MetricStatus[];
}

/**
 * running: keep going, call again at nextAt; failed: abort (or pause with onFailure: pause);
 * inconclusive: pause with reason AnalysisInconclusive; unresolved: a template or argument problem,
 * nothing was measured: report it and call again later.
 */
export type BackgroundResult =
  | (BackgroundReport & { readonly kind: "running"; readonly nextAt: number | undefined })
  | (BackgroundReport & { readonly kind: "failed" | "inconclusive" | "unresolved" });

export const DEFAULT_BACKGROUND_STATE_BYTES = 8192;

/** Takes the background measurements due at `now` and says what the release should do. */
export async function advanceBackground(input: BackgroundInput): Promise<BackgroundResult> {
  const started: BackgroundState = input.state ?? {
    version: BACKGROUND_STATE_VERSION,
    startedAt: input.now,
    gate: { version: 1, metrics: [] },
  };
  const gate = input.approved === true ? acknowledgeInconclusive(started.gate) : started.gate;
  const resolved = await resolveTemplates(input.templates, input.args, input.scope, input.deps.templates);
  if (!resolved.ok) {
    const state = { ...started, gate };
    return {
      kind: "unresolved",
      state,
      message: `background analysis: ${resolved.problem}`,
      metrics: metricStatuses(gate),
    };
  }
  const sink = input.deps.metrics ?? NOOP_ANALYSIS_METRICS;
  const result = await advanceGate({
    state: gate,
    metrics: resolved.metrics,
    startedAt: started.startedAt,
    now: input.now,
    bounded: false,
    provider: input.deps.provider,
    observe: (_metric, m) => sink.measurement(m.phase),
  });
  const compacted = compactGateState(result.state, input.maxStateBytes ?? DEFAULT_BACKGROUND_STATE_BYTES);
  const state: BackgroundState = { ...started, gate: compacted };
  const metrics = metricStatuses(compacted);
  switch (result.outcome) {
    case "Running":
    case "Successful": {
      const message = `background ${progressMessage(compacted, new Map(), result.nextAt)}`;
      return { kind: "running", state, nextAt: result.nextAt, message, metrics };
    }
    case "Failed":
      return { kind: "failed", state, message: `background ${verdictMessage(compacted, "Failed")}`, metrics };
    case "Inconclusive":
      return {
        kind: "inconclusive",
        state,
        message: `background ${verdictMessage(compacted, "Inconclusive")}`,
        metrics,
      };
    default: {
      const unknown: never = result.outcome;
      throw new Error(`unknown outcome ${String(unknown)}`);
    }
  }
}
