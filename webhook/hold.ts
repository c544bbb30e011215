// The decision of the workload webhook (SPEC §4.1), as a pure function of the update and the live Rollout:
// pass it unchanged, hold a new release, or re-hold a release in progress.

import { parseReleaseAnnotation, type ReleaseAnnotation } from "../src/api/held-workload.ts";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE } from "../src/api/names.ts";
import { canonicalTemplateJson, hashCanonicalTemplate } from "../src/plan/template-diff.ts";
import type { Rollout } from "../src/api/rollout.ts";
import { canaryReplicasFor } from "../src/plan/batch-size.ts";
import { cloneSetHold } from "./workloads/cloneset.ts";
import { deploymentHold } from "./workloads/deployment.ts";
import { statefulSetHold } from "./workloads/statefulset.ts";
import {
  editableCopy,
  replicasOf,
  WorkloadSchema,
  type HoldAdapter,
  type Workload,
} from "./workloads/workload.ts";

export const HOLD_ADAPTERS: readonly HoldAdapter[] = [deploymentHold, statefulSetHold, cloneSetHold];

export function holdAdapterFor(group: string, kind: string): HoldAdapter | undefined {
  return HOLD_ADAPTERS.find((adapter) => adapter.group === group && adapter.kind === kind);
}

export type HoldDecision =
  | { readonly type: "pass"; readonly reason: string; readonly warnings: readonly string[] }
  | {
      readonly type: "mutate";
      readonly reason: "release" | "supersede" | "re-hold";
      readonly before: Workload;
      readonly after: Workload;
      readonly warnings: readonly string[];
    }
  | { readonly type: "invalid"; readonly message: string };

export interface WorkloadUpdate {
  readonly adapter: HoldAdapter;
  readonly oldObject: unknown;
  readonly object: unknown;
  /** The live Rollout (not deleting, not disabled) whose workloadRef names this workload. */
  readonly rollout: Rollout;
  readonly now: Date;
}

export function decideWorkloadUpdate(update: WorkloadUpdate): HoldDecision {
  const { adapter, rollout } = update;
  const oldParsed = WorkloadSchema.safeParse(update.oldObject);
  const newParsed = WorkloadSchema.safeParse(update.object);
  if (!oldParsed.success || !newParsed.success) {
    const issue = (oldParsed.error ?? newParsed.error)?.issues[0];
    const where = issue === undefined ? "" : ` at ${issue.path.join(".")}: ${issue.message}`;
    return { type: "invalid", message: `the ${adapter.kind} in the admission request is malformed${where}` };
  }
  const before = oldParsed.data;
  const requested = newParsed.data;
  const after = editableCopy(requested);
  const ignored = rollout.spec.ignoreTemplateKeys ?? [];
  const releaseBefore = before.metadata.annotations?.[ANNOTATION_RELEASE];
  const inProgress = releaseBefore !== undefined;
  // The controller lifts the hold only while finishing; every other change to a held workload is re-held.
  const finishing = rollout.status?.phase === "Finalizing";

  const canary = canonicalTemplateJson(requested.spec.template, ignored);
  if (canonicalTemplateJson(before.spec.template, ignored) !== canary) {
    if (replicasOf(requested) === 0) {
      return pass("a release of a workload with spec.replicas 0 moves no pod: nothing to hold");
    }
    const unholdable = adapter.unholdable(requested);
    if (unholdable !== undefined) return pass("the workload cannot be held", [unholdable]);
    adapter.hold(after);
    // A saved original is kept even without a release annotation: while it is there, the live strategy may
    // be Slipway's hold, never the user's.
    const original = before.metadata.annotations?.[ANNOTATION_ORIGINAL];
    const release: ReleaseAnnotation = {
      rollout: rollout.metadata.name,
      stableRevision: stableRevisionFor(before, adapter, rollout, inProgress && !finishing, releaseBefore),
      canaryTemplateHash: hashCanonicalTemplate(canary),
      startedAt: update.now.toISOString(),
    };
    setAnnotations(after, {
      [ANNOTATION_ORIGINAL]: original ?? JSON.stringify(adapter.original(requested)),
      [ANNOTATION_RELEASE]: JSON.stringify(release),
    });
    return {
      type: "mutate",
      reason: inProgress ? "supersede" : "release",
      before: requested,
      after,
      warnings: [],
    };
  }

  if (!inProgress || finishing) return pass("not a release: the pod template did not change");

  const warnings: string[] = [];
  for (const key of [ANNOTATION_ORIGINAL, ANNOTATION_RELEASE]) {
    const saved = before.metadata.annotations?.[key];
    if (saved !== undefined && after.metadata.annotations?.[key] !== saved) {
      setAnnotations(after, { [key]: saved });
      warnings.push(`annotation ${key} was put back: it belongs to the release in progress`);
    }
  }
  warnings.push(...adapter.reHold(before, after, partitionFloor(rollout, replicasOf(after))));
  if (warnings.length === 0) return pass("not a release: the pod template did not change");
  return { type: "mutate", reason: "re-hold", before: requested, after, warnings };
}

/**
 * The lowest partition the release allows right now: every pod above the current step's batch stays on
 * stable. Before the first step and after an abort, that is every pod.
 */
export function partitionFloor(rollout: Rollout, replicas: number): number {
  const index = rollout.status?.currentStepIndex ?? 0;
  const step = rollout.spec.strategy.canary.steps[index - 1];
  if (rollout.status?.phase === "Aborted" || index <= 0 || step === undefined) return replicas;
  return replicas - canaryReplicasFor(step.replicas, replicas);
}

function stableRevisionFor(
  before: Workload,
  adapter: HoldAdapter,
  rollout: Rollout,
  keepPrevious: boolean,
  releaseBefore: string | undefined,
): string {
  // A superseded release keeps its stable; a new one takes what the workload ran until now.
  const previous = keepPrevious ? parseReleaseAnnotation(releaseBefore)?.stableRevision : undefined;
  if (previous !== undefined) return previous;
  if (rollout.status?.phase === "Finalizing" && rollout.status.canaryRevision !== undefined) {
    return rollout.status.canaryRevision;
  }
  return adapter.stableRevision(before) ?? rollout.status?.stableRevision ?? "";
}

function setAnnotations(workload: Workload, values: Readonly<Record<string, string>>): void {
  workload.metadata.annotations = { ...workload.metadata.annotations, ...values };
}

function pass(reason: string, warnings: readonly string[] = []): HoldDecision {
  return { type: "pass", reason, warnings };
}
