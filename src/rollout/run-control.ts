// Starting, ending and re-pinning runs: the operations the reconciler applies to the persisted record when
// the workload asks for a different release or the Rollout's steps were edited mid-release.
import type { EffectiveRolloutSpec } from "../api/defaults.ts";
import { canonicalJson, shortHash } from "./status-diff.ts";
import { restart, startRun, terminate, type WorkflowDefinition } from "../workflow/index.ts";
import { compileRun, stepGroupName, type RunKind } from "./compile.ts";
import { RECORD_VERSION, isRunActive, type ReleaseRecord } from "./record.ts";
import { isInMainByState, runningFinally, stepCount, stepFromState } from "./run-view.ts";
import type { WantedRelease } from "./situation.ts";

/**
 * Compiled definitions by content, so every reconcile of an unchanged Rollout gets the same object back
 * (the engine caches its own compilation by identity, and hashing is done once).
 */
const compiled = new Map<string, { readonly definition: WorkflowDefinition; readonly hash: string }>();
const COMPILED_LIMIT = 1_024;

function entryFor(kind: RunKind, spec: EffectiveRolloutSpec) {
  const definition = compileRun(kind, spec);
  const key = canonicalJson(definition);
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  if (compiled.size >= COMPILED_LIMIT) compiled.clear();
  const entry = { definition, hash: shortHash(definition) };
  compiled.set(key, entry);
  return entry;
}

export function definitionFor(kind: RunKind, spec: EffectiveRolloutSpec): WorkflowDefinition {
  return entryFor(kind, spec).definition;
}

export function hashOf(definition: WorkflowDefinition): string {
  return compiled.get(canonicalJson(definition))?.hash ?? shortHash(definition);
}

export function newRecord(
  wanted: WantedRelease,
  definition: WorkflowDefinition,
  now: number,
  rolledBackRevision: string | undefined,
  rollbackReason?: string,
): ReleaseRecord {
  const runId = `${wanted.kind}-${wanted.key.slice(0, 16)}-${now.toString(36)}`;
  return {
    version: RECORD_VERSION,
    kind: wanted.kind,
    stableRevision: wanted.stableRevision,
    canaryRevision: wanted.canaryRevision,
    releaseKey: wanted.key,
    ...(rolledBackRevision === undefined ? {} : { rolledBackRevision }),
    ...(rollbackReason === undefined ? {} : { rollbackReason }),
    definitionHash: hashOf(definition),
    run: startRun(definition, runId, now),
  };
}

export function endRun(
  record: ReleaseRecord,
  end: { outcome: "Superseded" | "RolledBack" | "Aborted"; reason: string; force: boolean },
): ReleaseRecord {
  return {
    ...record,
    end: { outcome: end.outcome, reason: end.reason },
    run: terminate(record.run, end.reason, { force: end.force }),
  };
}

/**
 * The Rollout's steps changed mid-release: continue with the new definition from the step the release is at
 * (earlier steps keep their results; the current step re-plans its batch, which is idempotent). A run that
 * is finishing or aborting re-runs its current cleanup step, which is idempotent too.
 */
export function repin(record: ReleaseRecord, next: WorkflowDefinition): ReleaseRecord {
  const hash = hashOf(next);
  if (record.definitionHash === hash || !isRunActive(record)) return record;
  let fromStep: string | undefined;
  if (record.kind === "release" && isInMainByState(record.run)) {
    const step = Math.min(stepFromState(record.run), stepCount(next));
    fromStep = step >= 1 ? stepGroupName(step) : undefined;
  } else {
    const running = runningFinally(record.run);
    fromStep = running !== undefined && next.finally?.some((s) => s.name === running) ? running : undefined;
  }
  const run = restart(record.run, next, fromStep === undefined ? {} : { fromStep });
  // A terminate in force stays in force across the re-pin.
  const terminated =
    record.run.terminate === undefined
      ? run
      : terminate(run, record.run.terminate.reason, record.run.terminate);
  return { ...record, definitionHash: hash, run: terminated };
}
