// Detaching (SPEC §5.1): on deletion (finalizer) or `disabled: true`, hand the workload back exactly as its
// user expects — unpaused, original strategy and partition, canary objects deleted, label and annotations
// removed — whatever state a release was in. Ordered and idempotent: every pass re-plans from the cluster.
// A release that is going on is finished natively; an aborted one is undone first (its template set back to
// the stable revision), since rolling out a template judged bad would be the surprise full rollout SPEC §5.1
// forbids (docs/decisions/delete-aborted-release.md).
import type { EffectiveRolloutSpec } from "../api/defaults.ts";
import type { HistoryEntry } from "../api/rollout-status.ts";
import type { RolloutEvent } from "./events.ts";
import type { ReconcileIO, RolloutObject } from "./io.ts";
import { trafficSession } from "../traffic/session.ts";
import { isRunActive, outcomeOf, type ReleaseRecord } from "./record.ts";
import { releaseKeyOf } from "./situation.ts";
import { trafficTargetOf } from "./traffic-env.ts";
import type { ObservedTarget, WorkloadSnapshot } from "./workload-port.ts";

export interface DetachOutcome {
  readonly done: boolean;
  readonly message: string;
  readonly events: readonly RolloutEvent[];
  /** The release that was in progress, ended by the detach. */
  readonly historyEntry?: HistoryEntry;
  readonly snapshot?: WorkloadSnapshot;
}

export async function detach(
  io: ReconcileIO,
  obj: RolloutObject,
  spec: EffectiveRolloutSpec,
  record: ReleaseRecord | undefined,
  now: number,
): Promise<DetachOutcome> {
  const why =
    obj.deletionTimestamp !== undefined ? "the Rollout is being deleted" : "the Rollout is disabled";
  const traffic = await removeTraffic(io, obj, spec);
  if (traffic !== undefined && !traffic.done)
    return { done: false, message: `${why}: ${traffic.message}`, events: [] };
  const workload = await io.loadWorkload(obj);
  if (workload === undefined || "problem" in workload) return { done: true, message: why, events: [] };
  const snapshot = workload.snapshot;
  const undo = await undoAborted(io, obj, spec, record, workload, why);
  if (undo !== undefined) return { ...undo, snapshot };
  const plan = workload.planRestore({ detach: true });
  if (plan.writes.length > 0) {
    await io.apply(plan.writes);
    return {
      done: false,
      message: `${why}: handing ${spec.workloadRef.kind} ${spec.workloadRef.name} back to its native rollout`,
      events: [],
      snapshot,
    };
  }
  if (!plan.done) {
    return {
      done: false,
      message: `${why}: ${plan.blocked ?? "waiting for the workload to settle"}`,
      events: [],
      snapshot,
    };
  }
  const events: RolloutEvent[] = [
    {
      type: "Normal",
      reason: "Detached",
      message: `${why}: ${spec.workloadRef.kind} ${spec.workloadRef.name} is released natively`,
    },
  ];
  if (traffic?.warning !== undefined)
    events.push({ type: "Warning", reason: "TrafficNotRestored", message: traffic.warning });
  if (record === undefined || !isRunActive(record) || record.kind !== "release") {
    return { done: true, message: why, events, snapshot };
  }
  const entry: HistoryEntry = {
    revision: record.canaryRevision,
    outcome: "Aborted",
    startedAt: new Date(record.run.startedAt).toISOString(),
    finishedAt: new Date(now).toISOString(),
    reason: isAborted(record)
      ? `${why} while the release was aborting; its template was set back to the stable revision`
      : `${why} mid-release; the workload's own rollout takes it from here`,
  };
  return { done: true, message: why, events, historyEntry: entry, snapshot };
}

/** The release was aborted (or is aborting): judged bad by a gate, a deadline or a person. */
function isAborted(record: ReleaseRecord): boolean {
  if (record.kind !== "release") return false;
  return isRunActive(record) ? record.end?.outcome === "Aborted" : outcomeOf(record) === "Aborted";
}

/**
 * While the workload still holds an aborted release's template, sets it back to the stable revision (as
 * `kubectl slipway undo` does) before it is handed back, so that no pod changes revision. Undefined once
 * nothing is left to undo: no aborted release, the template is stable again, or a user has set another one.
 */
async function undoAborted(
  io: ReconcileIO,
  obj: RolloutObject,
  spec: EffectiveRolloutSpec,
  record: ReleaseRecord | undefined,
  workload: ObservedTarget,
  why: string,
): Promise<Omit<DetachOutcome, "snapshot"> | undefined> {
  if (record === undefined || !isAborted(record)) return undefined;
  const key = workload.releaseKey;
  const holdsAborted =
    key !== undefined
      ? key === releaseKeyOf(record)
      : workload.snapshot.inRelease && workload.snapshot.canaryRevision === record.canaryRevision;
  if (!holdsAborted) return undefined;
  const stable = record.stableRevision || obj.rollout.status?.stableRevision || "";
  const what = `${spec.workloadRef.kind} ${spec.workloadRef.name}`;
  const cause = record.end?.reason === undefined ? "" : ` (${record.end.reason})`;
  const result = await io.revertToStable(obj, stable);
  switch (result.kind) {
    case "unchanged":
      return undefined;
    case "reverted":
      return {
        done: false,
        message: `${why}: undoing the aborted release of ${what}: template set back to the stable revision ${stable}`,
        events: [
          {
            type: "Normal",
            reason: "AbortedReleaseUndone",
            message:
              `${why} and its release of revision ${record.canaryRevision} was aborted${cause}: ` +
              `${what}'s pod template was set back to the stable revision ${stable} instead of rolling the ` +
              "aborted template out; the workload is then handed back unchanged",
          },
        ],
      };
    case "raced":
      return {
        done: false,
        message: `${why}: undoing the aborted release of ${what}: its template changed meanwhile, re-reading`,
        events: [],
      };
    case "problem": {
      const message =
        `${why} but its release of revision ${record.canaryRevision} was aborted and cannot be undone: ` +
        `${result.message}; ${what} stays held until its template is changed, then it is handed back`;
      return {
        done: false,
        message,
        events: [{ type: "Warning", reason: "AbortedReleaseNotUndone", message }],
      };
    }
    default: {
      const unknown: never = result;
      throw new Error(`unknown revert result ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Traffic first (SPEC §5.5 order: un-pin, remove canary routes, delete the canary Service), one stage per pass.
 * A problem (a corrupt saved original) is reported in an Event but does not hold the detach hostage.
 */
async function removeTraffic(
  io: ReconcileIO,
  obj: RolloutObject,
  spec: EffectiveRolloutSpec,
): Promise<{ readonly done: boolean; readonly message: string; readonly warning?: string } | undefined> {
  if (io.traffic === undefined) return undefined;
  const target = trafficTargetOf(obj, spec, { stableRevision: "", canaryRevision: "" });
  if ("problem" in target) return undefined;
  const progress = await trafficSession(io.traffic, target).removeRouting();
  switch (progress.kind) {
    case "done":
      return { done: true, message: "traffic routing removed" };
    case "blocked":
      return {
        done: true,
        message: progress.problem,
        warning: `traffic routing left in place: ${progress.problem}`,
      };
    case "changed":
    case "pending":
      return { done: false, message: `removing traffic routing: ${progress.changes.join("; ")}` };
    case "stale":
      return { done: false, message: "removing traffic routing: re-reading after a concurrent change" };
    default: {
      const unknown: never = progress;
      throw new Error(`unknown traffic progress ${JSON.stringify(unknown)}`);
    }
  }
}
