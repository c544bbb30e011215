// Background analysis (`strategy.canary.analysis`, SPEC §2.1/§2.2) in the reconcile: from `startingStep`
// until the release leaves its steps, on every reconcile and whatever the steps are doing (moving pods,
// waiting in a long pause). Its state lives in the release record (status.workflow), so a restarted
// controller continues the same analysis. Failed → onFailure (abort: terminate the run, whose finally steps
// put traffic and pods back on stable; pause: a failure pause). Inconclusive → a pause with reason
// AnalysisInconclusive that `approve: <current step>` ends (the verdict is then cleared and measuring goes on).
import { advanceBackground } from "../analysis/index.ts";
import type { EffectiveRolloutSpec } from "../api/defaults.ts";
import { terminate, type WorkflowDefinition } from "../workflow/index.ts";
import type { RolloutEvent } from "./events.ts";
import { activeRecord, type FailurePause, type ReleaseRecord } from "./record.ts";
import { currentStepIndex, isInMain } from "./run-view.ts";
import type { AnalysisEnv } from "./steps/analysis.ts";

export interface BackgroundCheck {
  readonly record: ReleaseRecord | undefined;
  /** When the next background measurement is due. */
  readonly wakeAt?: number;
  readonly events: readonly RolloutEvent[];
}

/** How soon a template or argument problem is looked at again. */
const UNRESOLVED_RETRY_MS = 30_000;

export async function checkBackground(
  record: ReleaseRecord | undefined,
  spec: EffectiveRolloutSpec,
  definition: WorkflowDefinition | undefined,
  analysis: AnalysisEnv | undefined,
  now: number,
): Promise<BackgroundCheck> {
  const active = activeRecord(record);
  const background = spec.backgroundAnalysis;
  const none = { record, events: [] };
  if (active === undefined || active.kind !== "release" || background === null || analysis === undefined)
    return none;
  // spec.paused freezes everything, and a run that is finishing or aborting has nothing left to guard.
  if (spec.paused || !isInMain(active.run, definition)) return none;
  const step = currentStepIndex(active.run, definition);
  if (step < background.startingStep) return none;

  const previous = active.background;
  const pausedByIt =
    active.failurePause?.cause === "AnalysisInconclusive" || active.failurePause?.cause === "AnalysisFailed";
  const decided =
    previous?.gate.metrics.some((m) => m.phase === "Inconclusive" || m.phase === "Failed") === true;
  const result = await advanceBackground({
    state: previous,
    templates: background.templates,
    args: background.args,
    scope: {
      rollout: analysis.rollout,
      canaryRevision: active.canaryRevision,
      stableRevision: active.stableRevision,
      clusterSecretNamespace: analysis.ports.clusterSecretNamespace,
    },
    now,
    // The pause it caused was ended by an approval: clear the verdict and measure on.
    approved: decided && !pausedByIt,
    deps: {
      templates: analysis.ports.templates,
      provider: analysis.ports.provider,
      ...(analysis.ports.metrics === undefined ? {} : { metrics: analysis.ports.metrics }),
    },
  });
  const next: ReleaseRecord = { ...active, background: result.state };
  switch (result.kind) {
    case "running":
      return { record: next, ...(result.nextAt === undefined ? {} : { wakeAt: result.nextAt }), events: [] };
    case "unresolved":
      return {
        record: next,
        wakeAt: now + UNRESOLVED_RETRY_MS,
        events: [{ type: "Warning", reason: "AnalysisUnresolved", message: result.message }],
      };
    case "failed": {
      const event: RolloutEvent = { type: "Warning", reason: "AnalysisFailed", message: result.message };
      if (spec.onFailure === "pause") return pause(next, step, result.message, "AnalysisFailed", now, event);
      return {
        record: {
          ...next,
          end: { outcome: "Aborted", reason: result.message },
          run: terminate(next.run, result.message),
        },
        events: [event],
      };
    }
    case "inconclusive": {
      const event: RolloutEvent = {
        type: "Warning",
        reason: "AnalysisInconclusive",
        message: result.message,
      };
      return pause(next, step, result.message, "AnalysisInconclusive", now, event);
    }
    default: {
      const unknown: never = result;
      throw new Error(`unknown background result ${JSON.stringify(unknown)}`);
    }
  }
}

function pause(
  record: ReleaseRecord,
  step: number,
  reason: string,
  cause: NonNullable<FailurePause["cause"]>,
  now: number,
  event: RolloutEvent,
): BackgroundCheck {
  if (record.failurePause?.cause === cause) return { record, events: [] };
  return { record: { ...record, failurePause: { step, reason, at: now, cause } }, events: [event] };
}
