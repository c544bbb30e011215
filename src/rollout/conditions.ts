// metav1.Condition bookkeeping and the bounded release history (SPEC §2.1).
import { MAX_HISTORY, type Condition, type ConditionType, type HistoryEntry } from "../api/rollout-status.ts";

export interface ConditionInput {
  readonly type: ConditionType;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

/**
 * Sets conditions the way apimachinery's SetStatusCondition does: lastTransitionTime changes only when the
 * status flips, so a status recomputed with the same facts is byte-for-byte the same (no needless writes).
 */
export function setConditions(
  existing: readonly Condition[],
  updates: readonly ConditionInput[],
  now: string,
  observedGeneration: number | undefined,
): Condition[] {
  const out = existing.map((c) => ({ ...c }));
  for (const update of updates) {
    const index = out.findIndex((c) => c.type === update.type);
    const previous = index >= 0 ? out[index] : undefined;
    const next: Condition = {
      type: update.type,
      status: update.status,
      reason: update.reason,
      message: update.message,
      lastTransitionTime:
        previous !== undefined && previous.status === update.status ? previous.lastTransitionTime : now,
      ...(observedGeneration === undefined ? {} : { observedGeneration }),
    };
    if (index >= 0) out[index] = next;
    else out.push(next);
  }
  return out;
}

/** Removes conditions of the given types (e.g. Aborted once a retry starts). */
export function dropConditions(existing: readonly Condition[], types: readonly ConditionType[]): Condition[] {
  return existing.filter((c) => !types.includes(c.type as ConditionType));
}

/**
 * Appends a release outcome, keeping the last MAX_HISTORY. Idempotent: an entry with the same revision, start,
 * end and outcome is not added twice (a controller restarted between the history write and the next step).
 */
export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const same = history.some(
    (h) =>
      h.revision === entry.revision &&
      h.startedAt === entry.startedAt &&
      h.outcome === entry.outcome &&
      h.finishedAt === entry.finishedAt,
  );
  if (same) return [...history];
  return [...history, entry].slice(-MAX_HISTORY);
}
