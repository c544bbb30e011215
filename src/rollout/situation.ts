// Which release the workload is in, compared with the run the controller persisted: continue it, start a new
// one, or end the current one first (supersede, rollback). Pure: the same workload view and record always
// give the same answer, so a restarted controller takes the same decision.
import type { RunKind } from "./compile.ts";
import { isRunActive, type ReleaseRecord } from "./record.ts";
import type { ObservedTarget } from "./workload-port.ts";

/** The release the workload asks for right now. */
export interface WantedRelease {
  readonly kind: RunKind;
  /** Identity of the release (see ObservedTarget.releaseKey). */
  readonly key: string;
  readonly stableRevision: string;
  /** Revision the workload moves to (for a rollback: the stable one); "" while not known yet. */
  readonly canaryRevision: string;
}

export type Situation =
  /** Nothing to run: no release in progress, or the last one is over (succeeded, aborted awaiting retry). */
  | { readonly kind: "idle" }
  /** The workload cannot be judged yet (not observed, a problem to fix); the message says why. */
  | { readonly kind: "wait"; readonly message: string }
  | { readonly kind: "continue" }
  | { readonly kind: "start"; readonly wanted: WantedRelease; readonly rolledBackRevision?: string }
  /** End the current run first; the next reconcile starts what the workload now asks for. */
  | {
      readonly kind: "end";
      readonly outcome: "Superseded" | "RolledBack" | "Aborted";
      readonly reason: string;
      /** Skip the run's finally steps (rollback hands the workload back itself; a finishing run is done). */
      readonly force: boolean;
    };

export function wantedRelease(target: ObservedTarget): WantedRelease | undefined | { problem: string } {
  const { snapshot } = target;
  if (snapshot.rolledBack) {
    const stable = snapshot.stableRevision ?? snapshot.canaryRevision;
    if (stable === undefined)
      return { problem: "the workload was rolled back but its stable revision is unknown" };
    return {
      kind: "rollback",
      key: target.releaseKey ?? stable,
      stableRevision: stable,
      canaryRevision: stable,
    };
  }
  // Only a template change the webhook held (it wrote the release annotation) is a release. Any other one
  // (made before the Rollout existed, or one the webhook let pass) is a native rollout: Slipway never holds
  // a workload for it, it waits for it to finish (see unheldUpdate).
  if (!snapshot.inRelease || target.releaseKey === undefined) return undefined;
  return {
    kind: "release",
    key: target.releaseKey,
    stableRevision: snapshot.stableRevision ?? "",
    canaryRevision: snapshot.canaryRevision ?? "",
  };
}

/**
 * The workload's template differs from its stable revision but the webhook did not hold that change: its
 * native rollout runs (or ran) on its own, and Slipway manages only the next template change.
 */
export function unheldUpdate(target: ObservedTarget): boolean {
  const { snapshot } = target;
  return snapshot.inRelease && !snapshot.rolledBack && target.releaseKey === undefined;
}

export function releaseKeyOf(record: ReleaseRecord): string {
  return record.releaseKey ?? record.canaryRevision;
}

function sameRelease(record: ReleaseRecord, wanted: WantedRelease): boolean {
  return record.kind === wanted.kind && releaseKeyOf(record) === wanted.key;
}

/** The workload still holds the release the record describes (a retry needs it). */
export function holdsRelease(target: ObservedTarget, record: ReleaseRecord | undefined): boolean {
  const wanted = wantedRelease(target);
  return (
    record !== undefined && wanted !== undefined && !("problem" in wanted) && sameRelease(record, wanted)
  );
}

/**
 * A canary revision becomes known only once the canary objects exist (canary-deployment style): copy it
 * into the record of the same release, for status and for approvals bound to a revision.
 */
export function withKnownRevision(
  target: ObservedTarget,
  record: ReleaseRecord | undefined,
): ReleaseRecord | undefined {
  const revision = target.snapshot.canaryRevision;
  if (record?.kind !== "release" || revision === undefined || record.canaryRevision === revision)
    return record;
  return holdsRelease(target, record) ? { ...record, canaryRevision: revision } : record;
}

/**
 * @param inMain the current run is still in its main steps (not yet finishing or aborting).
 */
export function decideSituation(
  target: ObservedTarget,
  record: ReleaseRecord | undefined,
  inMain: boolean,
): Situation {
  const { snapshot } = target;
  if (snapshot.problem !== undefined) return { kind: "wait", message: snapshot.problem };
  if (!snapshot.observed) {
    return { kind: "wait", message: "waiting for the workload's controller to observe its latest spec" };
  }
  const wanted = wantedRelease(target);
  if (wanted !== undefined && "problem" in wanted) return { kind: "wait", message: wanted.problem };

  if (record !== undefined && isRunActive(record)) {
    if (wanted === undefined) {
      // A finishing run removes the release annotations itself; let it conclude. Anything else means the
      // workload is no longer held (someone removed the hold): stop driving it.
      if (!inMain || record.kind === "rollback") return { kind: "continue" };
      // The release annotation still names this release: the workload is held, whatever the pods suggest.
      if (target.releaseKey !== undefined && target.releaseKey === releaseKeyOf(record))
        return { kind: "continue" };
      return {
        kind: "end",
        outcome: "Aborted",
        reason: "the workload is no longer held for this release (its release annotation is gone)",
        force: true,
      };
    }
    if (sameRelease(record, wanted)) return { kind: "continue" };
    if (wanted.kind === "rollback") {
      return {
        kind: "end",
        outcome: "RolledBack",
        reason: `the template was set back to revision ${wanted.canaryRevision}`,
        force: true,
      };
    }
    return {
      kind: "end",
      outcome: "Superseded",
      reason: `superseded by a newer template${wanted.canaryRevision === "" ? "" : ` (revision ${wanted.canaryRevision})`}`,
      // Mid-release: the abort path drops the previous canary's pods before the new release starts.
      force: !inMain || record.kind === "rollback",
    };
  }

  if (wanted === undefined) return { kind: "idle" };
  if (record !== undefined && sameRelease(record, wanted)) return { kind: "idle" };
  const rolledBack =
    wanted.kind === "rollback" && record?.kind === "release" ? record.canaryRevision : undefined;
  return rolledBack === undefined
    ? { kind: "start", wanted }
    : { kind: "start", wanted, rolledBackRevision: rolledBack };
}
