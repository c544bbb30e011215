// Deployment, canary-deployment style (SPEC §5.3): the original stays paused at full size on stable while a
// second Deployment `<name>-canary` (owned by the Rollout) runs the canary template at the batch size. At the
// end the original is released natively and the canary Deployment deleted once the original is fully available.
// Decision record: docs/decisions/deployment-canary-style.md.

import type { V1Deployment, V1PodTemplateSpec } from "@kubernetes/client-node";
import { GROUP, LABEL_MANAGED_BY } from "../api/names.ts";
import { removeReleaseAnnotations } from "./annotations.ts";
import { DEFAULT_ROLLING_STRATEGY, deploymentRef, holdWrites, restoreWrite } from "./deployment-common.ts";
import {
  deploymentBatchPrologue,
  deploymentHoldPlan,
  deploymentReleasePlan,
  fullyRolledOut,
  loadDeployment,
  revisionStates,
  roleCounts,
  viewDeployment,
  type DeploymentObjects,
  type DeploymentView,
} from "./deployment-view.ts";
import type { IntOrPercent } from "./int-or-percent.ts";
import { templatesEqualIgnoringHash } from "./pod-template.ts";
import { batchFrame } from "./batch.ts";
import { addCounts, earliest, NO_PODS } from "./pods.ts";
import type {
  AdapterContext,
  BatchPlan,
  ObjectRef,
  ObservedWorkload,
  Plan,
  RevisionState,
  WorkloadAdapter,
  Write,
} from "./types.ts";

/**
 * Added to the canary Deployment's selector and pod labels, so the canary Deployment never selects the
 * original's pods and a canary pod is recognisable at a glance. (Candidate for src/api/names.ts.)
 */
export const LABEL_CANARY = `${GROUP}/canary`;

export interface CanaryDeploymentObjects {
  readonly original: DeploymentObjects;
  /** `<name>-canary` with its ReplicaSets and pods; undefined when it does not exist. */
  readonly canary: DeploymentObjects | undefined;
}

export function canaryDeploymentName(name: string): string {
  return `${name}-canary`;
}

interface CanaryView {
  readonly original: DeploymentView;
  readonly canary: DeploymentView | undefined;
  /** The canary Deployment runs the original's current template. */
  readonly current: boolean;
  readonly context: AdapterContext;
}

function describe(d: V1Deployment): string {
  return `Deployment ${d.metadata?.namespace}/${d.metadata?.name}`;
}

function withoutCanaryLabel(template: V1PodTemplateSpec): V1PodTemplateSpec {
  const labels = { ...template.metadata?.labels };
  delete labels[LABEL_CANARY];
  return { ...template, metadata: { ...template.metadata, labels } };
}

/** The canary Deployment for the original's current template, at `replicas`. */
function desiredCanary(view: CanaryView, replicas: number): V1Deployment {
  const d = view.original.deployment;
  const spec = d.spec!;
  const labels: Record<string, string> = { ...d.metadata?.labels, [LABEL_CANARY]: "true" };
  delete labels[LABEL_MANAGED_BY]; // the webhook must never hold the canary Deployment itself
  const saved = view.original.original.ok ? view.original.original.value : undefined;
  const strategy =
    saved?.strategy ?? (spec.strategy?.type === "Recreate" ? spec.strategy : DEFAULT_ROLLING_STRATEGY);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: canaryDeploymentName(d.metadata?.name ?? ""),
      namespace: d.metadata?.namespace,
      labels,
      ...(view.context.owner && { ownerReferences: [view.context.owner] }),
    },
    spec: {
      replicas,
      selector: { ...spec.selector, matchLabels: { ...spec.selector.matchLabels, [LABEL_CANARY]: "true" } },
      template: {
        ...spec.template,
        metadata: {
          ...spec.template.metadata,
          labels: { ...spec.template.metadata?.labels, [LABEL_CANARY]: "true" },
        },
      },
      minReadySeconds: spec.minReadySeconds,
      progressDeadlineSeconds: spec.progressDeadlineSeconds,
      revisionHistoryLimit: spec.revisionHistoryLimit,
      strategy: {
        type: strategy.type ?? "RollingUpdate",
        ...(strategy.rollingUpdate && { rollingUpdate: strategy.rollingUpdate }),
      },
      paused: false,
    },
  };
}

function canaryRef(view: CanaryView): ObjectRef {
  const d = view.original.deployment;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    namespace: d.metadata?.namespace ?? "",
    name: canaryDeploymentName(d.metadata?.name ?? ""),
  };
}

function patchCanary(view: CanaryView, patch: Record<string, unknown>, reason: string): Write {
  return {
    type: "patch",
    target: canaryRef(view),
    patch,
    resourceVersion: view.canary!.deployment.metadata?.resourceVersion ?? "",
    reason,
  };
}

function deleteCanary(view: CanaryView): Write {
  const meta = view.canary!.deployment.metadata;
  return {
    type: "delete",
    target: canaryRef(view),
    uid: meta?.uid ?? "",
    resourceVersion: meta?.resourceVersion ?? "",
    reason: `delete canary ${describe(view.canary!.deployment)}`,
  };
}

/** Pods of the canary Deployment on its current template (the "updated" pods of the batch). */
function canaryTally(view: CanaryView) {
  return view.current && view.canary?.canary !== undefined ? view.canary.canary.tally : NO_PODS;
}

function canaryPods(view: CanaryView): number {
  const c = view.canary;
  return c === undefined
    ? 0
    : [c.canary, c.stable, ...c.others].reduce((n, s) => n + (s?.tally.pods ?? 0), 0);
}

function canaryRevisionState(view: CanaryView): RevisionState[] {
  const side = view.current ? view.canary?.canary : undefined;
  if (side === undefined) return [];
  const { pods, ready, available } = side.tally;
  return [
    {
      revision: side.revision,
      role: "canary",
      desired: side.desired,
      objectName: side.rs.metadata?.name,
      pods,
      ready,
      available,
    },
  ];
}

function planBatch(view: CanaryView, target: number, failureThreshold: IntOrPercent): BatchPlan {
  const d = view.original.deployment;
  const tally = canaryTally(view);
  const frame = batchFrame(
    target,
    view.original.replicas,
    { updated: tally.pods, updatedReady: tally.available },
    failureThreshold,
  );
  const batch = frame.batch;
  const early = deploymentBatchPrologue(view.original, frame, false);
  if (early !== undefined) return early;
  if (view.context.owner === undefined) {
    return frame.wait(
      `${describe(d)}: canary-deployment style needs the Rollout as owner of ${canaryRef(view).name}`,
    );
  }
  const canary = view.canary;
  if (canary === undefined) {
    if (batch === 0) return { ...frame.act([]), ready: frame.readyByPods };
    const object = desiredCanary(view, batch);
    const reason = `create canary ${describe(object)} with ${batch} pod(s)`;
    return frame.act([{ type: "create", target: canaryRef(view), object, reason }]);
  }
  const name = describe(canary.deployment);
  if (!view.current) {
    // Superseded or reverted: the previous canary's pods go first, then the template is replaced.
    if ((canary.deployment.spec?.replicas ?? 0) > 0) {
      return frame.act([
        patchCanary(view, { spec: { replicas: 0 } }, `drop the superseded canary pods of ${name}`),
      ]);
    }
    if (canaryPods(view) > 0) return frame.wait();
    const template = desiredCanary(view, batch).spec!.template;
    return frame.act([
      patchCanary(view, { spec: { template, replicas: batch } }, `move ${name} to the new canary template`),
    ]);
  }
  if ((canary.deployment.spec?.replicas ?? 1) !== batch) {
    return frame.act([patchCanary(view, { spec: { replicas: batch } }, `scale canary ${name} to ${batch}`)]);
  }
  return { ...frame.act([]), ready: canary.observed && frame.readyByPods };
}

function planAbort(view: CanaryView): Plan {
  const d = view.original.deployment;
  const hold = holdWrites(d, view.original.original, false);
  if (hold.length > 0) return { writes: hold, done: false };
  const canary = view.canary;
  if (canary === undefined) return { writes: [], done: true };
  if ((canary.deployment.spec?.replicas ?? 1) > 0) {
    return {
      writes: [
        patchCanary(view, { spec: { replicas: 0 } }, `scale canary ${describe(canary.deployment)} to 0`),
      ],
      done: false,
    };
  }
  return { writes: [], done: canaryPods(view) === 0 };
}

function planCleanup(view: CanaryView): Plan {
  const d = view.original.deployment;
  // The canary Deployment goes only once the original serves everything itself.
  if (!fullyRolledOut(view.original)) return { writes: [], done: false };
  const writes: Write[] = [];
  if (view.canary !== undefined) writes.push(deleteCanary(view));
  const annotations = removeReleaseAnnotations(d);
  if (Object.keys(annotations).length > 0) {
    writes.push({
      type: "patch",
      target: deploymentRef(d),
      patch: { metadata: { annotations } },
      resourceVersion: d.metadata?.resourceVersion ?? "",
      reason: `remove release annotations from ${describe(d)}`,
    });
  }
  return { writes, done: writes.length === 0 };
}

function planRestore(view: CanaryView, detach: boolean): Plan {
  const d = view.original.deployment;
  const writes: Write[] = [];
  const restore = restoreWrite(
    d,
    view.original.original,
    { annotations: true, label: detach },
    `restore ${describe(d)}: original strategy, unpaused, release state removed`,
  );
  if (restore !== undefined) writes.push(restore);
  // The canary pods are extras on top of N: removing them loses nothing the user runs.
  if (view.canary !== undefined) writes.push(deleteCanary(view));
  return { writes, done: writes.length === 0 };
}

export function observeDeploymentCanary(
  objects: CanaryDeploymentObjects,
  context: AdapterContext,
): ObservedWorkload {
  const original = viewDeployment(objects.original, context.now);
  const canary = objects.canary === undefined ? undefined : viewDeployment(objects.canary, context.now);
  const current =
    canary !== undefined &&
    templatesEqualIgnoringHash(
      withoutCanaryLabel(canary.deployment.spec!.template),
      original.deployment.spec?.template,
    );
  const view: CanaryView = { original, canary, current, context };
  const d = original.deployment;
  const counts = roleCounts(original);
  const tally = canaryTally(view);
  const staleCanaryPods = canaryPods(view) - tally.pods;
  const canaryIsStable = original.canary !== undefined && original.canary === original.stable;
  return {
    snapshot: {
      ref: deploymentRef(d),
      kind: "Deployment",
      style: "canary-deployment",
      replicas: original.replicas,
      stableRevision: original.stableRevision,
      canaryRevision: current ? canary?.canary?.revision : undefined,
      inRelease: !canaryIsStable,
      rolledBack: canaryIsStable && original.releaseAnnotated,
      held: d.spec?.paused === true && original.hasOriginal,
      original: original.original.ok ? original.original.value : undefined,
      observed: original.observed && (canary?.observed ?? true),
      stable: counts.stable,
      canary: addCounts(counts.canary, tally),
      other: addCounts(counts.other, { pods: staleCanaryPods, ready: 0, available: 0 }),
      revisions: [...revisionStates(original), ...canaryRevisionState(view)],
      recheckAt: earliest(original.nextAvailableAt, canary?.nextAvailableAt),
      problem: original.problem,
    },
    planHold: () => deploymentHoldPlan(original, false),
    planBatch: (target, failureThreshold) => planBatch(view, target, failureThreshold),
    planAbort: () => planAbort(view),
    planRelease: () => deploymentReleasePlan(original),
    releaseDone: () => fullyRolledOut(original),
    planCleanup: () => planCleanup(view),
    planRestore: (options) => planRestore(view, options.detach),
  };
}

export const deploymentCanaryAdapter: WorkloadAdapter = {
  kind: "Deployment",
  style: "canary-deployment",
  async load(io, ref, context) {
    const original = await loadDeployment(io, ref);
    if (original === undefined) return undefined;
    const canary = await loadDeployment(io, { ...ref, name: canaryDeploymentName(ref.name) });
    return observeDeploymentCanary({ original, canary }, context);
  },
};
