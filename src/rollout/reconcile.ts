// One reconcile of one Rollout: observe, decide, act once, persist (docs/design/controller.md).
//
// Order matters and is part of the contract:
// 1. deletion / disabled first (detach.ts); 2. the finalizer; 3. the progress deadline, from the persisted
// run alone, before anything that can return early; 4. the workload; 5. which release it asks for
// (situation.ts); 6. human actions; 7. one engine tick; 8. status, written with the resourceVersion it was
// computed from; only then 9. Events and removal of the consumed action annotations.
import { withDefaults, type EffectiveRolloutSpec } from "../api/defaults.ts";
import { FINALIZER_CLEANUP } from "../api/names.ts";
import type { HistoryEntry, MetricStatus, RolloutStatus } from "../api/rollout-status.ts";
import { tick, validateDefinition } from "../workflow/index.ts";
import { applyActions, hasActions } from "./actions.ts";
import { checkBackground } from "./background.ts";
import { appendHistory } from "./conditions.ts";
import { historyFor } from "./history.ts";
import { checkProgressDeadline, trackPause } from "./deadline.ts";
import { detach } from "./detach.ts";
import { waitingBatch } from "./follow-replicas.ts";
import { eventsFromRun, type RolloutEvent } from "./events.ts";
import type { ReconcileIO, RolloutObject } from "./io.ts";
import { activeRecord, isRunActive, parseRecord, type ReleaseRecord } from "./record.ts";
import { definitionFor, endRun, newRecord, repin } from "./run-control.ts";
import { currentStepIndex, isInMain, isInMainByState, stepCount } from "./run-view.ts";
import {
  decideSituation,
  holdsRelease,
  unheldUpdate,
  withKnownRevision,
  type Situation,
  type WantedRelease,
} from "./situation.ts";
import type { RolloutName } from "../api/action-hints.ts";
import { computeStatus, type Standing } from "./status.ts";
import type { AnalysisEnv } from "./steps/analysis.ts";
import { followBatch } from "./steps/batch.ts";
import { registryFor, registryForValidation } from "./steps/registry.ts";
import { statusChanged } from "./status-diff.ts";
import { trafficStepEnv } from "./traffic-env.ts";
import type { ObservedTarget } from "./workload-port.ts";

export interface ReconcileResult {
  /** Reconcile again after this many ms (timers: pauses, deadlines, minReadySeconds). */
  readonly requeueAfterMs?: number;
  /** A write lost a race: reconcile again soon with fresh reads. */
  readonly conflict?: boolean;
  /** For logs: the revision and step the reconcile acted on. */
  readonly revision?: string;
  readonly step?: number;
  readonly phase?: string;
  /** Events emitted (for logs). */
  readonly events?: readonly RolloutEvent[];
  /** Releases that ended in this reconcile (for slipway_release_duration_seconds). */
  readonly ended?: readonly { readonly outcome: string; readonly seconds: number }[];
}

export interface Reconciler {
  reconcile(obj: RolloutObject, now: number): Promise<ReconcileResult>;
}

export function createReconciler(io: ReconcileIO): Reconciler {
  return { reconcile: (obj, now) => reconcileRollout(io, obj, now) };
}

interface Pass {
  readonly io: ReconcileIO;
  obj: RolloutObject;
  readonly now: number;
  readonly spec: EffectiveRolloutSpec;
  record: ReleaseRecord | undefined;
  history: HistoryEntry[];
  readonly events: RolloutEvent[];
  readonly ended: { outcome: string; seconds: number }[];
  /** Analysis gate summaries reported during this pass, by gate step name (for status.steps[].analysis). */
  readonly gates: Map<string, readonly MetricStatus[]>;
}

async function reconcileRollout(io: ReconcileIO, obj: RolloutObject, now: number): Promise<ReconcileResult> {
  const spec = withDefaults(obj.rollout.spec);
  const parsed = parseRecord(obj.rawWorkflow);
  const pass: Pass = {
    io,
    obj,
    now,
    spec,
    record: parsed.ok ? parsed.record : undefined,
    history: [...(obj.rollout.status?.history ?? [])],
    events: [],
    ended: [],
    gates: new Map(),
  };
  if (!parsed.ok) pass.events.push({ type: "Warning", reason: "StateDiscarded", message: parsed.problem });

  if (obj.deletionTimestamp !== undefined || spec.disabled)
    return detachPass(pass, obj.deletionTimestamp !== undefined);

  if (!obj.finalizers.includes(FINALIZER_CLEANUP)) {
    const written = await io.patchMetadata(obj, { finalizers: [...obj.finalizers, FINALIZER_CLEANUP] });
    // The finalizer write changed the resourceVersion: the update event brings us back with fresh data.
    return written.ok ? {} : { conflict: true };
  }

  // The deadline is decided from the persisted run alone, before anything below can return early.
  const deadline = checkProgressDeadline(pass.record, spec, now);
  pass.record = deadline.record;
  if (deadline.exceeded !== undefined) {
    pass.events.push({
      type: "Warning",
      reason: "ProgressDeadlineExceeded",
      message: deadline.exceeded.reason,
    });
  }

  const workload = await io.loadWorkload(obj);
  if (workload !== undefined && "problem" in workload) {
    return persist(pass, { kind: "invalid", message: workload.problem }, undefined, deadline.deadlineAt);
  }
  if (workload === undefined) {
    const ref = obj.rollout.spec.workloadRef;
    const message = `${ref.kind} ${obj.rollout.metadata.namespace ?? ""}/${ref.name} does not exist; create it or fix spec.workloadRef`;
    return persist(pass, { kind: "workload-missing", message }, undefined, deadline.deadlineAt);
  }
  const labelled = await io.labelWorkload(obj);
  if (labelled === "conflict") return { conflict: true };

  const situation = decideSituation(
    workload,
    pass.record,
    pass.record ? isInMainByState(pass.record.run) : false,
  );
  applySituation(pass, situation);
  pass.record = withKnownRevision(workload, pass.record);
  const definition = pass.record === undefined ? undefined : definitionFor(pass.record.kind, spec);
  if (pass.record !== undefined && definition !== undefined) pass.record = repin(pass.record, definition);

  let consumed: readonly string[] = [];
  if (hasActions(obj.annotations)) {
    const held = situation.kind !== "wait" && holdsRelease(workload, pass.record);
    const acted = applyActions(pass.record, {
      annotations: obj.annotations,
      definition,
      now,
      releaseStillHeld: held,
    });
    pass.record = acted.record;
    pass.events.push(...acted.events);
    consumed = acted.consumed;
  }
  return persist(pass, standingOf(situation, workload, pass.record), workload, deadline.deadlineAt, consumed);
}

function applySituation(pass: Pass, situation: Situation): void {
  switch (situation.kind) {
    case "idle":
    case "wait":
    case "continue":
      return;
    case "start": {
      const { wanted } = situation;
      const definition = definitionFor(wanted.kind, pass.spec);
      const rollbackReason =
        situation.rolledBackRevision === undefined ? undefined : rollbackReasonOf(pass.record, wanted);
      pass.record = newRecord(wanted, definition, pass.now, situation.rolledBackRevision, rollbackReason);
      pass.events.push(
        wanted.kind === "rollback"
          ? {
              type: "Normal",
              reason: "RollbackStarted",
              message: `template set back to ${wanted.canaryRevision}: rolling back`,
            }
          : {
              type: "Normal",
              reason: "ReleaseStarted",
              message: `release of revision ${wanted.canaryRevision} started (stable: ${wanted.stableRevision || "unknown"})`,
            },
      );
      return;
    }
    case "end": {
      if (pass.record === undefined) return;
      const ended =
        situation.outcome === "RolledBack"
          ? { ...situation, reason: rolledBackAt(pass.record, pass.spec, situation.reason) }
          : situation;
      pass.record = endRun(pass.record, ended);
      pass.events.push({
        type: situation.outcome === "Aborted" ? "Warning" : "Normal",
        reason: ended.outcome,
        message: ended.reason,
      });
      return;
    }
    default: {
      const unknown: never = situation;
      throw new Error(`unknown situation ${JSON.stringify(unknown)}`);
    }
  }
}

/** `rolled back at step 2/3: the template was set back to revision 6794b94667`. */
function rolledBackAt(record: ReleaseRecord, spec: EffectiveRolloutSpec, why: string): string {
  const definition = definitionFor(record.kind, spec);
  if (record.kind !== "release" || !isInMain(record.run, definition)) return `rolled back: ${why}`;
  return `rolled back at step ${currentStepIndex(record.run, definition)}/${stepCount(definition)}: ${why}`;
}

/** Why the rollback run about to start exists: the end reason of the release it rolls back, if it had one. */
function rollbackReasonOf(ended: ReleaseRecord | undefined, wanted: WantedRelease): string {
  if (ended?.end?.outcome === "RolledBack") return ended.end.reason;
  return `rolled back: the template was set back to revision ${wanted.canaryRevision}`;
}

function rolloutNameOf(pass: Pass): RolloutName {
  const meta = pass.obj.rollout.metadata;
  return { name: meta.name, namespace: meta.namespace ?? "" };
}

function standingOf(
  situation: Situation,
  workload: ObservedTarget,
  record: ReleaseRecord | undefined,
): Standing {
  if (situation.kind === "wait") return { kind: "waiting", message: situation.message };
  const { snapshot } = workload;
  const native =
    unheldUpdate(workload) || (!snapshot.inRelease && !snapshot.rolledBack && !workload.releaseDone());
  return { kind: "attached", nativeRolloutInProgress: native, releaseHeld: holdsRelease(workload, record) };
}

/** Advances the run (unless frozen), then writes status, then Events and the consumed annotations. */
async function persist(
  pass: Pass,
  standing: Standing,
  workload: ObservedTarget | undefined,
  deadlineAt: number | undefined,
  consumed: readonly string[] = [],
): Promise<ReconcileResult> {
  const { spec, now } = pass;
  const wasPaused = pass.record?.pausedAt !== undefined;
  pass.record = trackPause(pass.record, spec.paused, now);
  if (pass.record?.pausedAt !== undefined && !wasPaused) {
    pass.events.push({ type: "Normal", reason: "Paused", message: "spec.paused: the release is frozen" });
  } else if (wasPaused && pass.record?.pausedAt === undefined) {
    pass.events.push({
      type: "Normal",
      reason: "Resumed",
      message: "spec.paused is false: the release continues",
    });
  }
  let wakeAt: number | undefined;
  if (workload !== undefined && standing.kind !== "waiting") {
    wakeAt = await tickActive(pass, workload);
    recordHistory(pass);
    // A run ended for a newer release (supersede, rollback) starts that release in the same pass, so the
    // status never shows a moment of "Healthy" in between.
    const ended = pass.record;
    if (
      ended !== undefined &&
      !isRunActive(ended) &&
      (ended.end?.outcome === "Superseded" || ended.end?.outcome === "RolledBack")
    ) {
      const next = decideSituation(workload, ended, false);
      if (next.kind === "start") {
        applySituation(pass, next);
        wakeAt = await tickActive(pass, workload);
        recordHistory(pass);
      }
    }
  } else {
    recordHistory(pass);
  }

  const definition = pass.record === undefined ? undefined : definitionFor(pass.record.kind, spec);
  const status = computeStatus({
    previous: pass.obj.rollout.status,
    generation: pass.obj.generation,
    spec,
    standing,
    record: pass.record,
    definition,
    snapshot: workload?.snapshot,
    history: pass.history,
    now,
    gates: pass.gates,
    rollout: rolloutNameOf(pass),
  });
  if (attachedNow(pass.obj.rollout.status, status)) {
    const ref = spec.workloadRef;
    pass.events.push({
      type: "Normal",
      reason: "Attached",
      message: `${ref.kind} ${ref.name} is attached: its releases go out in steps`,
    });
  }
  const result = await writeAndAnnounce(pass, status, consumed);
  if (result !== undefined) return result;
  const recheck = workload?.snapshot.recheckAt?.getTime();
  const timers = [wakeAt, deadlineAt, recheck].filter((t): t is number => t !== undefined);
  const next = timers.length === 0 ? undefined : Math.max(0, Math.min(...timers) - now);
  return {
    ...(next === undefined ? {} : { requeueAfterMs: next }),
    ...(pass.record === undefined ? {} : { revision: pass.record.canaryRevision }),
    ...(status.currentStepIndex === undefined ? {} : { step: status.currentStepIndex }),
    ...(status.phase === undefined ? {} : { phase: status.phase }),
    events: pass.events,
    ended: pass.ended,
  };
}

/** One engine tick of the active run, unless spec.paused or a failure pause freezes it. */
async function tickActive(pass: Pass, workload: ObservedTarget): Promise<number | undefined> {
  const record = activeRecord(pass.record);
  if (record === undefined) return undefined;
  const { spec, now, io } = pass;
  const definition = definitionFor(record.kind, spec);
  const analysis = analysisEnvOf(pass);
  // Background analysis first: a failure aborts (terminates) the run in this very tick, even mid-pause.
  const background = await checkBackground(record, spec, definition, analysis, now);
  pass.events.push(...background.events);
  const checked = activeRecord(background.record);
  pass.record = background.record;
  if (checked === undefined) return background.wakeAt;
  const manualAbort = checked.end?.manual === true && checked.run.terminate !== undefined;
  const frozen = (spec.paused || checked.failurePause !== undefined) && !manualAbort;
  if (frozen) return background.wakeAt;
  const problems = validateDefinition(definition, registryForValidation());
  if (problems.length > 0) {
    pass.events.push({ type: "Warning", reason: "UnsupportedSteps", message: problems.join("; ") });
    return background.wakeAt;
  }
  const traffic = trafficStepEnv(io.traffic, pass.obj, spec, checked);
  const env = {
    spec,
    workload,
    apply: io.apply,
    record: checked,
    traffic,
    ...(analysis === undefined ? {} : { analysis }),
    rollout: rolloutNameOf(pass),
  };
  // A step waiting after its upgrade still follows the workload's spec.replicas (SPEC §5.2).
  const waiting = waitingBatch(checked.run, definition);
  if (waiting !== undefined) await followBatch(env, waiting.index, waiting.replicas);
  const result = await tick(definition, checked.run, now, registryFor(env));
  pass.record = { ...checked, run: result.state };
  pass.events.push(...eventsFromRun(result.events, stepCount(definition)));
  const wakes = [result.nextWakeAt, background.wakeAt].filter((t): t is number => t !== undefined);
  return wakes.length === 0 ? undefined : Math.min(...wakes);
}

/** The analysis side of the step environment: gate reports land in the pass, for status. */
function analysisEnvOf(pass: Pass): AnalysisEnv | undefined {
  const ports = pass.io.analysis;
  if (ports === undefined) return undefined;
  const meta = pass.obj.rollout.metadata;
  return {
    ports,
    rollout: { name: meta.name, namespace: meta.namespace ?? "" },
    report: (r) => pass.gates.set(r.path.split("/").at(-1) ?? r.path, r.metrics),
  };
}

function attachedNow(previous: RolloutStatus | undefined, next: RolloutStatus): boolean {
  const attached = (s: RolloutStatus | undefined) =>
    s?.conditions?.some((c) => c.type === "WorkloadAttached" && c.status === "True") === true;
  return attached(next) && !attached(previous);
}

function recordHistory(pass: Pass): void {
  const result = historyFor(pass.record, pass.history, pass.now);
  if (result === undefined) return;
  pass.record = result.record;
  pass.history = result.history;
  if (result.ended !== undefined) pass.ended.push(result.ended);
  if (result.event !== undefined) pass.events.push(result.event);
}

/** Status first; Events and annotation removal only once the new state is durable. */
async function writeAndAnnounce(
  pass: Pass,
  status: RolloutStatus,
  consumed: readonly string[],
): Promise<ReconcileResult | undefined> {
  const { io } = pass;
  if (statusChanged(pass.obj.rollout.status, status)) {
    const written = await io.writeStatus(pass.obj, status);
    if (!written.ok) return written.reason === "conflict" ? { conflict: true } : {};
    pass.obj = { ...pass.obj, resourceVersion: written.resourceVersion };
  }
  for (const event of pass.events) io.event(pass.obj, event);
  if (consumed.length > 0) {
    const annotations = Object.fromEntries(consumed.map((key) => [key, null]));
    const patched = await io.patchMetadata(pass.obj, { annotations });
    if (!patched.ok && patched.reason === "conflict") return { conflict: true };
  }
  return undefined;
}

async function detachPass(pass: Pass, deleting: boolean): Promise<ReconcileResult> {
  const { io, obj } = pass;
  const outcome = await detach(io, obj, pass.spec, pass.record, pass.now);
  if (outcome.historyEntry !== undefined) pass.history = appendHistory(pass.history, outcome.historyEntry);
  pass.events.push(...outcome.events);
  if (outcome.done && deleting) {
    for (const event of pass.events) io.event(obj, event);
    if (!obj.finalizers.includes(FINALIZER_CLEANUP)) return {};
    const written = await io.patchMetadata(obj, {
      finalizers: obj.finalizers.filter((f) => f !== FINALIZER_CLEANUP),
    });
    return written.ok || written.reason === "gone" ? {} : { conflict: true };
  }
  const standing: Standing = outcome.done
    ? { kind: "disabled" }
    : { kind: "detaching", message: outcome.message, disabled: !deleting };
  pass.record = outcome.done ? undefined : pass.record;
  const status = computeStatus({
    previous: obj.rollout.status,
    generation: obj.generation,
    spec: pass.spec,
    standing,
    record: pass.record,
    definition: undefined,
    snapshot: outcome.snapshot,
    history: pass.history,
    now: pass.now,
  });
  const result = await writeAndAnnounce(pass, status, []);
  return result ?? {};
}
