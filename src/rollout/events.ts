// Kubernetes Events for every state change of a release: what the engine reports, in release words.
import type { WorkflowEvent } from "../workflow/index.ts";
import { FINALLY_NAMES, parseStepName } from "./compile.ts";

export interface RolloutEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export function eventsFromRun(events: readonly WorkflowEvent[], steps: number): RolloutEvent[] {
  const out: RolloutEvent[] = [];
  for (const event of events) {
    const mapped = mapEvent(event, steps);
    if (mapped !== undefined) out.push(mapped);
  }
  return out;
}

function mapEvent(event: WorkflowEvent, steps: number): RolloutEvent | undefined {
  // The release outcome is announced once, with history (reconcile.ts), not again per run.
  if (event.type === "RunFinished") return undefined;
  const parsed = parseStepName(event.step);
  const label = parsed === undefined ? event.step : `step ${parsed.index}/${steps}`;
  switch (event.type) {
    case "StepStarted":
      if (parsed?.phase === "group")
        return { type: "Normal", reason: "StepStarted", message: `${label} started` };
      if (event.step === FINALLY_NAMES.finish) {
        return { type: "Normal", reason: "Finalizing", message: "all steps done: finishing the release" };
      }
      if (event.step === FINALLY_NAMES.abort) {
        return {
          type: "Warning",
          reason: "Aborting",
          message: "moving every pod back to the stable revision",
        };
      }
      if (event.step === FINALLY_NAMES.rollbackRelease) {
        return {
          type: "Normal",
          reason: "RollingBack",
          message: "handing the workload back to its native rollout",
        };
      }
      return undefined;
    case "StepSucceeded":
      if (parsed?.phase === "upgrade")
        return { type: "Normal", reason: "BatchReady", message: `${label}: canary pods ready` };
      if (parsed?.phase === "pause")
        return { type: "Normal", reason: "PauseEnded", message: `${label}: pause over` };
      if (parsed?.phase === "group")
        return { type: "Normal", reason: "StepCompleted", message: `${label} completed` };
      if (event.step === FINALLY_NAMES.abort) {
        return { type: "Warning", reason: "Aborted", message: "every pod is back on the stable revision" };
      }
      return undefined;
    case "StepSuspended":
      return { type: "Normal", reason: "Paused", message: event.message };
    case "StepFailed":
      if (event.reason === "Terminated") return undefined; // reported by the action or decision that ended it
      return { type: "Warning", reason: "StepFailed", message: `${label}: ${event.message}` };
    case "StepRetrying":
      return { type: "Warning", reason: "StepRetrying", message: `${label}: ${event.error}` };
    case "StepTimedOut":
      return { type: "Warning", reason: "StepTimedOut", message: `${label} timed out` };
    case "StepWaiting":
    case "StepResumed":
    case "StepSkipped":
      return undefined;
    default: {
      const unknown: never = event;
      throw new Error(`unknown workflow event ${JSON.stringify(unknown)}`);
    }
  }
}
