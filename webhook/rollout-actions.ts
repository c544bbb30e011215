// Human actions (SPEC §3) checked against the live Rollout at admission, so a stale or impossible action is
// refused at once instead of being silently ignored by the controller; and the approver stamped.

import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../src/api/names.ts";
import type { Rollout } from "../src/api/rollout.ts";
import { annotationsOf, rolloutName } from "./rollout-meta.ts";

const ACTION_KEYS = [ANNOTATION_APPROVE, ANNOTATION_ABORT, ANNOTATION_RETRY, ANNOTATION_PROMOTE] as const;
type ActionKey = (typeof ACTION_KEYS)[number];

/** Phases in which a release is running and can be steered (approve, abort, promote). */
const RUNNING_PHASES: ReadonlySet<string> = new Set(["Progressing", "Paused"]);
/** Phases in which a release exists: running, aborted, or being finished. */
export const RELEASE_PHASES: ReadonlySet<string> = new Set([
  "Progressing",
  "Paused",
  "Aborted",
  "Finalizing",
]);

const APPROVE_VALUE = /^([1-9][0-9]{0,3})(?:@([A-Za-z0-9][A-Za-z0-9.-]{0,252}))?$/;

/** The action annotations this update sets or changes (removing one is never refused). */
export function changedActions(before: Rollout | undefined, after: Rollout): ActionKey[] {
  const now = annotationsOf(after);
  const then = annotationsOf(before);
  return ACTION_KEYS.filter((key) => now[key] !== undefined && now[key] !== then[key]);
}

/**
 * Why the actions this update sets cannot be carried out on `live` (the Rollout as stored, whose status
 * is what the controller last reported), or undefined when they can.
 */
export function refuseActions(live: Rollout | undefined, after: Rollout): string | undefined {
  const annotations = annotationsOf(after);
  for (const key of changedActions(live, after)) {
    const refusal = refuseAction(key, annotations[key] ?? "", live ?? after);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

function refuseAction(key: ActionKey, value: string, live: Rollout): string | undefined {
  const name = rolloutName(live);
  const phase = live.status?.phase;
  const state = phase ?? "not reconciled yet";
  const running = phase !== undefined && RUNNING_PHASES.has(phase);
  switch (key) {
    case ANNOTATION_APPROVE:
      return refuseApprove(value, live, name, state, running);
    case ANNOTATION_ABORT:
      if (value.trim() === "") return `${key} needs a non-empty value, e.g. "true"`;
      if (phase === "Aborted") return `nothing to abort: ${name} is already Aborted`;
      if (phase === "Finalizing") return `nothing to abort: ${name} is Finalizing a release that succeeded`;
      return running ? undefined : `nothing to abort: ${name} is ${state}`;
    case ANNOTATION_RETRY:
      if (value.trim() === "") return `${key} needs a non-empty value, e.g. "true"`;
      return phase === "Aborted" ? undefined : `nothing to retry: ${name} is ${state}`;
    case ANNOTATION_PROMOTE:
      if (value !== "step" && value !== "full") return `${key} must be "step" or "full", not "${value}"`;
      if (phase === "Aborted") return `${name} is Aborted: retry it instead of promoting`;
      return running ? undefined : `nothing to promote: ${name} is ${state}`;
    default: {
      const unreachable: never = key;
      return unreachable;
    }
  }
}

function refuseApprove(
  value: string,
  live: Rollout,
  name: string,
  state: string,
  running: boolean,
): string | undefined {
  const match = APPROVE_VALUE.exec(value.trim());
  if (match?.[1] === undefined) {
    return `${ANNOTATION_APPROVE} must be a step index, optionally with @<canaryRevision> (e.g. "2" or "2@7c9d8b6f5"), not "${value}"`;
  }
  const step = Number(match[1]);
  const revision = match[2];
  const steps = live.spec.strategy.canary.steps;
  if (step > steps.length) return `${name} has ${steps.length} steps, not ${step}`;
  if (!running) return `nothing to approve: ${name} is ${state}`;
  const current = live.status?.currentStepIndex ?? 0;
  if (current !== step) return `${name} is at step ${current}, not step ${step}`;
  const canary = live.status?.canaryRevision;
  if (revision !== undefined && canary !== undefined && revision !== canary) {
    return `${name} is releasing revision ${canary}, not ${revision}`;
  }
  return waitingForApproval(live, step, name);
}

/**
 * An approval ends the wait of the step it names *now* (SPEC §3): its pause, an inconclusive analysis or a
 * failure pause. Status shows that wait as currentStepState Paused, or phase Paused not caused by spec.paused.
 * An approval for a step still moving pods is refused rather than kept: kept, it would skip that step's
 * pause the moment it began (docs/decisions/cli-approve-only-a-waiting-step.md).
 */
function waitingForApproval(live: Rollout, step: number, name: string): string | undefined {
  const status = live.status;
  if (status?.currentStepState === "Paused") return undefined;
  if (status?.phase === "Paused" && live.spec.paused !== true) return undefined;
  const definition = live.spec.strategy.canary.steps[step - 1];
  if (definition?.pause === undefined && definition?.analysis === undefined) {
    return `step ${step} of ${name} has no pause or analysis to approve`;
  }
  const doing = status?.currentStepState === undefined ? "" : ` (it is ${status.currentStepState})`;
  const frozen = live.spec.paused === true ? " and spec.paused froze it there" : "";
  return (
    `step ${step} of ${name} is not waiting for approval yet${doing}${frozen}: an approval ends the pause ` +
    `it names and is not kept for later; approve again once step ${step} pauses`
  );
}

/**
 * The `approved-by` annotation after this update: the requester when the approval is set or changed,
 * nothing once the approval is gone, and otherwise what was there (nobody can rewrite who approved).
 */
export function approvedByAfter(
  before: Pick<Rollout, "metadata"> | undefined,
  after: Pick<Rollout, "metadata">,
  username: string | undefined,
): string | undefined {
  const approve = annotationsOf(after)[ANNOTATION_APPROVE];
  if (approve === undefined) return undefined;
  if (approve !== annotationsOf(before)[ANNOTATION_APPROVE]) return username ?? "unknown";
  return annotationsOf(before)[ANNOTATION_APPROVED_BY];
}
