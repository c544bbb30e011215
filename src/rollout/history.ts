// A finished run's outcome, written to status.history exactly once (the record remembers it was).
import type { HistoryEntry } from "../api/rollout-status.ts";
import { appendHistory } from "./conditions.ts";
import type { RolloutEvent } from "./events.ts";
import { isRunActive, outcomeOf, releasedRevisionOf, type ReleaseRecord } from "./record.ts";

export interface HistoryUpdate {
  readonly record: ReleaseRecord;
  readonly history: HistoryEntry[];
  readonly event?: RolloutEvent;
  /** For slipway_release_duration_seconds. */
  readonly ended?: { readonly outcome: string; readonly seconds: number };
}

/** undefined when there is nothing to record (no run, still running, or recorded already). */
export function historyFor(
  record: ReleaseRecord | undefined,
  history: readonly HistoryEntry[],
  now: number,
): HistoryUpdate | undefined {
  if (record === undefined || isRunActive(record) || record.historyRecorded === true) return undefined;
  const outcome = outcomeOf(record);
  const recorded = { ...record, historyRecorded: true };
  // A release ended by a rollback is reported once, by the rollback run that follows it.
  if (outcome === undefined || (record.kind === "release" && outcome === "RolledBack")) {
    return { record: recorded, history: [...history] };
  }
  const { run } = record;
  const entry: HistoryEntry = {
    revision: releasedRevisionOf(record),
    outcome,
    startedAt: new Date(run.startedAt).toISOString(),
    ...(run.finishedAt === undefined ? {} : { finishedAt: new Date(run.finishedAt).toISOString() }),
    ...(outcome === "Succeeded"
      ? {}
      : { reason: (record.end?.reason ?? record.rollbackReason ?? run.message ?? "").slice(0, 1024) }),
  };
  return {
    record: recorded,
    history: appendHistory(history, entry),
    ended: { outcome, seconds: ((run.finishedAt ?? now) - run.startedAt) / 1000 },
    event: {
      type: outcome === "Succeeded" || outcome === "RolledBack" ? "Normal" : "Warning",
      reason: `Release${outcome}`,
      message: `release of ${entry.revision}: ${outcome}${entry.reason ? ` (${entry.reason})` : ""}`,
    },
  };
}
