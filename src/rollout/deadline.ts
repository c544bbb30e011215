// The progress deadline (SPEC §5.3): a batch not ready within progressDeadlineSeconds is a failure. Decided
// from the persisted run alone, so the reconciler checks it first — before reading the workload or anything
// else that could return early — and a stuck batch can never hang a release (argo-flagger.md §0.7).
import type { EffectiveRolloutSpec } from "../api/defaults.ts";
import { terminate } from "../workflow/index.ts";
import { activeRecord, isRunActive, type ReleaseRecord } from "./record.ts";
import { runningUpgrade } from "./run-view.ts";
import { batchMemory } from "./steps/batch.ts";

export interface DeadlineCheck {
  readonly record: ReleaseRecord | undefined;
  /** When the running batch's deadline falls (for a timer), if one is running and not yet exceeded. */
  readonly deadlineAt?: number;
  /** Set when the deadline passed in this check. */
  readonly exceeded?: { readonly step: number; readonly reason: string };
}

export const PROGRESS_DEADLINE_REASON = "ProgressDeadlineExceeded";

export function checkProgressDeadline(
  record: ReleaseRecord | undefined,
  spec: EffectiveRolloutSpec,
  now: number,
): DeadlineCheck {
  const active = activeRecord(record);
  if (active === undefined) return { record };
  return checkActive(active, spec, now);
}

function checkActive(record: ReleaseRecord, spec: EffectiveRolloutSpec, now: number): DeadlineCheck {
  if (record.kind !== "release" || record.run.terminate !== undefined) return { record };
  // Paused time does not count: a frozen release makes no progress by design.
  if (record.pausedAt !== undefined || record.failurePause !== undefined) return { record };
  const upgrade = runningUpgrade(record.run);
  if (upgrade === undefined) return { record };
  const acting = batchMemory(upgrade.state.memory).acting;
  if (acting === undefined) return { record };
  const deadlineAt = Math.max(acting, record.deadlineFloorAt ?? 0) + spec.progressDeadlineSeconds * 1000;
  if (now < deadlineAt) return { record, deadlineAt };
  const reason =
    `${PROGRESS_DEADLINE_REASON}: step ${upgrade.index}'s canary pods were not ready within ` +
    `progressDeadlineSeconds (${spec.progressDeadlineSeconds}s)`;
  const exceeded = { step: upgrade.index, reason };
  if (spec.onFailure === "pause") {
    return { record: { ...record, failurePause: { step: upgrade.index, reason, at: now } }, exceeded };
  }
  return {
    record: { ...record, end: { outcome: "Aborted", reason }, run: terminate(record.run, reason) },
    exceeded,
  };
}

/** spec.paused bookkeeping: remember when a pause began; on resume, deadlines count from the resume. */
export function trackPause(
  record: ReleaseRecord | undefined,
  paused: boolean,
  now: number,
): ReleaseRecord | undefined {
  if (record === undefined || !isRunActive(record)) return record;
  if (paused && record.pausedAt === undefined) return { ...record, pausedAt: now };
  if (!paused && record.pausedAt !== undefined) {
    const { pausedAt: _p, ...rest } = record;
    return { ...rest, deadlineFloorAt: now };
  }
  return record;
}
