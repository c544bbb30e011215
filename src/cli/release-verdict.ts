// Where a release stands, for `status --wait` (CI): done and good, done and bad, or not done yet. Pure.
import { ANNOTATION_RELEASE } from "../api/names.ts";
import type { HistoryEntry } from "../api/rollout-status.ts";
import type { Rollout } from "../api/rollout.ts";
import type { KubeObject } from "../kube/resources.ts";

export type Verdict =
  | { readonly kind: "succeeded"; readonly message: string }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "pending"; readonly message: string };

function newest(history: readonly HistoryEntry[]): HistoryEntry | undefined {
  return [...history].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).at(-1);
}

/** `rolled back at step 2/3: …`: the reason, when it starts with the verb already, is not repeated. */
function endedHow(last: HistoryEntry): string {
  const verb = last.outcome === "RolledBack" ? "rolled back" : "aborted";
  const reason = last.reason ?? "";
  if (reason === "") return verb;
  return reason.startsWith(verb) ? reason : `${verb}: ${reason}`;
}

/**
 * `sawRelease`: whether this wait observed a release in progress. A Healthy Rollout whose last release
 * was rolled back counts as failed only then — a rollback from before the wait is old news, and the
 * workload runs its stable revision.
 */
export function verdictOf(rollout: Rollout, workload: KubeObject | undefined, sawRelease: boolean): Verdict {
  const status = rollout.status;
  const name = `${rollout.metadata.namespace ?? ""}/${rollout.metadata.name}`;
  const generation = rollout.metadata["generation"];
  const steps = rollout.spec.strategy.canary.steps.length;
  if (status?.phase === undefined)
    return { kind: "pending", message: `rollout ${name} is not reconciled yet` };
  if (typeof generation === "number" && (status.observedGeneration ?? 0) < generation) {
    return { kind: "pending", message: `waiting for the controller to observe generation ${generation}` };
  }
  const at = `step ${status.currentStepIndex ?? 0}/${steps}`;
  const message = status.message ?? "";
  switch (status.phase) {
    case "Aborted":
      // The controller's message says where and why already ("aborted at step 2/4: …").
      return {
        kind: "failed",
        message: /^abort(ed|ing)\b/.test(message) ? message : `aborted at ${at}: ${message}`,
      };
    case "Disabled":
      return {
        kind: "failed",
        message: `rollout ${name} is disabled: Slipway does not release this workload`,
      };
    case "Progressing":
    case "Paused":
      return {
        kind: "pending",
        message: message.includes(at) ? message : `${status.phase} at ${at}: ${message}`,
      };
    case "Initializing":
    case "Finalizing":
      return { kind: "pending", message: `${status.phase}: ${message}` };
    case "Healthy":
      break;
  }
  const annotations = workload?.metadata?.annotations ?? {};
  if (annotations[ANNOTATION_RELEASE] !== undefined) {
    return {
      kind: "pending",
      message: "a new release of the workload is starting (the controller has not picked it up yet)",
    };
  }
  const last = newest(status.history ?? []);
  if (sawRelease && last !== undefined && last.outcome !== "Succeeded" && last.outcome !== "Superseded") {
    return {
      kind: "failed",
      message: `release of ${last.revision} ${endedHow(last)}`,
    };
  }
  const revision = status.stableRevision === undefined ? "" : ` on revision ${status.stableRevision}`;
  return { kind: "succeeded", message: `rollout ${name} is Healthy${revision}` };
}
