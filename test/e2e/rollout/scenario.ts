// Building blocks shared by the release scenarios: a workload with a Rollout attached and a monitor watching
// it, and "pods settled at these counts".
import type { KubernetesObject } from "@kubernetes/client-node";
import type { RolloutStatus } from "../../../src/api/rollout-status.ts";
import { applyYaml, cloneSet, done, notYet, waitFor, withNamespace } from "../lib/index.ts";
import { getCloneSet } from "./cloneset.ts";
import { deployment, headlessService, statefulSet } from "../lib/manifests.ts";
import { clients } from "../lib/index.ts";
import { withController } from "./controller-process.ts";
import {
  getDeployment,
  grantRolloutOperator,
  rolloutManifest,
  waitForRollout,
  type RolloutShape,
} from "./fixtures.ts";
import { ReleaseMonitor, type Bounds } from "./release-monitor.ts";

export const NAME = "web";

export interface Subject {
  readonly kind: "Deployment" | "StatefulSet" | "CloneSet";
  readonly style?: "partition" | "canary-deployment";
  readonly replicas: number;
  /** The bounds the release must respect (from the workload's own strategy, plus the canary Deployment). */
  readonly bounds: Bounds;
}

/** 10 pods, 25%/25% → maxSurge 3, maxUnavailable 2. */
export const PARTITION_DEPLOYMENT: Subject = {
  kind: "Deployment",
  replicas: 10,
  bounds: { replicas: 10, maxSurge: 3, maxUnavailable: 2 },
};

/**
 * The original stays at full size while `<name>-canary` runs the batch (SPEC §5.3), and at the end the
 * original rolls natively before the canary Deployment goes: up to 2N + maxSurge pods by design.
 */
export const CANARY_DEPLOYMENT: Subject = {
  kind: "Deployment",
  style: "canary-deployment",
  replicas: 10,
  bounds: { replicas: 10, maxSurge: 10 + 3, maxUnavailable: 2 },
};

/** A StatefulSet replaces pods in place, one at a time: never more than N, at most one unavailable. */
export const STATEFULSET: Subject = {
  kind: "StatefulSet",
  replicas: 5,
  bounds: { replicas: 5, maxSurge: 0, maxUnavailable: 1 },
};

/**
 * A 6-replica OpenKruise CloneSet with kruise's default strategy (ReCreate, maxSurge 0, maxUnavailable 20%,
 * rounded up when maxSurge is 0: 2 pods).
 */
export const CLONESET: Subject = {
  kind: "CloneSet",
  replicas: 6,
  bounds: { replicas: 6, maxSurge: 0, maxUnavailable: 2 },
};

export async function workloadReady(ns: string, subject: Subject): Promise<void> {
  await waitFor(`${subject.kind} ${ns}/${NAME} ready`, async () => {
    if (subject.kind === "CloneSet") {
      const cs = await getCloneSet(ns, NAME);
      const s = cs.status;
      return s?.observedGeneration === cs.metadata?.generation &&
        s?.readyReplicas === subject.replicas &&
        s?.currentRevision === s?.updateRevision
        ? done(undefined)
        : notYet(s);
    }
    if (subject.kind === "Deployment") {
      const d = await getDeployment(ns, NAME);
      const s = d.status;
      return s?.availableReplicas === subject.replicas && s.updatedReplicas === subject.replicas
        ? done(undefined)
        : notYet(s);
    }
    const sts = await clients().apps.readNamespacedStatefulSet({ namespace: ns, name: NAME });
    const s = sts.status;
    return s?.readyReplicas === subject.replicas && s.currentRevision === s.updateRevision
      ? done(undefined)
      : notYet(s);
  });
}

/** The workload up, a Rollout attached and Healthy, alice allowed to operate Rollouts, a monitor running. */
export async function attach(ns: string, subject: Subject, shape: RolloutShape = {}) {
  await grantRolloutOperator(ns, "alice");
  const o = { name: NAME, namespace: ns, replicas: subject.replicas, image: "example/web:v1" };
  const objects: KubernetesObject[] =
    subject.kind === "Deployment"
      ? [deployment(o)]
      : subject.kind === "CloneSet"
        ? [cloneSet(o)]
        : [headlessService(NAME, ns), statefulSet(o)];
  await applyYaml(objects);
  await workloadReady(ns, subject);
  const rollout = rolloutManifest(ns, NAME, {
    kind: subject.kind,
    ...(subject.style === undefined ? {} : { deploymentStyle: subject.style }),
    ...shape,
  });
  await applyYaml([rollout]);
  await waitForRollout(ns, NAME, "attached and Healthy", (s) => at.healthy(s) && at.attached(s));
  const monitor = new ReleaseMonitor(ns, NAME, subject.bounds);
  await monitor.start();
  return { rollout, monitor };
}

/** Stable pods expected next to `canary` canary pods: the original stays at full size in canary-deployment style. */
export function stableFor(subject: Subject, canary: number): number {
  return subject.style === "canary-deployment" ? subject.replicas : subject.replicas - canary;
}

/** Pods settled at exactly `canaryCount` ready canary pods and `stableCount` others, none terminating. */
export async function podsSettled(
  monitor: ReleaseMonitor,
  canary: string,
  canaryCount: number,
  stableCount: number,
): Promise<void> {
  await waitFor(
    `${canaryCount} ready canary pod(s) (${canary}) and ${stableCount} other ready pod(s)`,
    () => {
      const counts = monitor.counts();
      const c = counts.get(canary);
      const others = [...counts].filter(([rev]) => rev !== canary).map(([, x]) => x);
      const othersTotal = others.reduce((sum, x) => sum + x.total, 0);
      const othersReady = others.reduce((sum, x) => sum + x.ready, 0);
      const ok =
        (c?.total ?? 0) === canaryCount &&
        (c?.ready ?? 0) === canaryCount &&
        othersTotal === stableCount &&
        othersReady === stableCount;
      return ok ? done(undefined) : notYet(Object.fromEntries(counts));
    },
  );
}

/** The workload's own rollout settings, to compare after the release (strategy / updateStrategy). */
export async function nativeStrategy(ns: string, subject: Subject): Promise<unknown> {
  if (subject.kind === "Deployment") return (await getDeployment(ns, NAME)).spec?.strategy;
  if (subject.kind === "CloneSet") return (await getCloneSet(ns, NAME)).spec.updateStrategy;
  return (await clients().apps.readNamespacedStatefulSet({ namespace: ns, name: NAME })).spec?.updateStrategy;
}

/** The workload's metadata and whether its native controller is free to act (not paused/held). */
export async function workloadState(ns: string, subject: Subject) {
  if (subject.kind === "CloneSet") {
    const cs = await getCloneSet(ns, NAME);
    const strategy = cs.spec.updateStrategy;
    const partition = strategy?.partition ?? 0;
    return {
      metadata: cs.metadata,
      held: strategy?.paused === true || (partition !== 0 && partition !== "0%"),
    };
  }
  if (subject.kind === "Deployment") {
    const d = await getDeployment(ns, NAME);
    return { metadata: d.metadata, held: d.spec?.paused === true };
  }
  const sts = await clients().apps.readNamespacedStatefulSet({ namespace: ns, name: NAME });
  const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  return { metadata: sts.metadata, held: partition > 0 };
}

/** Every pod ready on one revision other than `not`, N of them (the end of a release, whatever the style). */
export async function allOnNewRevision(
  monitor: ReleaseMonitor,
  subject: Subject,
  not: string,
): Promise<string> {
  return waitFor(`all ${subject.replicas} pods ready on the new revision`, () => {
    const counts = [...monitor.counts()];
    const [only] = counts;
    if (
      counts.length === 1 &&
      only !== undefined &&
      only[0] !== not &&
      only[1].ready === subject.replicas &&
      only[1].total === subject.replicas
    ) {
      return done(only[0]);
    }
    return notYet({ pods: Object.fromEntries(counts), watchStalls: monitor.stalls });
  });
}

/** Status predicates the scenarios wait for. */
export const at = {
  approvalPause: (s: RolloutStatus) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
  /** Aborted and done aborting (pods back on stable, history written). */
  aborted: (s: RolloutStatus) =>
    s.phase === "Aborted" &&
    s.conditions?.some((c) => c.type === "Progressing" && c.status === "False") === true,
  healthy: (s: RolloutStatus) => s.phase === "Healthy",
  attached: (s: RolloutStatus) =>
    s.conditions?.some((c) => c.type === "WorkloadAttached" && c.status === "True") === true,
};

export interface ScenarioContext {
  readonly ns: string;
  readonly monitor: ReleaseMonitor;
  readonly rollout: KubernetesObject;
}

/**
 * Runs `body` in a fresh namespace with its own controller, `subject` attached and a monitor watching; a
 * failure carries the controller's log tail, and the monitor always stops.
 */
export async function inScenario(
  name: string,
  subject: Subject,
  shape: RolloutShape,
  body: (ctx: ScenarioContext) => Promise<void>,
): Promise<void> {
  await withNamespace((ns) =>
    withController(name, ns, async () => {
      const { rollout, monitor } = await attach(ns, subject, shape);
      try {
        await body({ ns, monitor, rollout });
      } finally {
        monitor.stop();
      }
    }),
  );
}
