// Builders for plain Kubernetes objects as the API server returns them (JSON, string timestamps).

import type {
  V1Deployment,
  V1OwnerReference,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE } from "../../api/names.ts";

export const NAMESPACE = "shop";
export const T0 = Date.parse("2025-01-01T00:00:00Z");

/** JSON timestamps are strings; client-node's types say Date. Both are accepted by the code under test. */
export function at(ms: number): Date {
  return new Date(ms).toISOString() as unknown as Date;
}

export function template(image: string, extraLabels: Record<string, string> = {}) {
  return {
    metadata: { labels: { app: "web", ...extraLabels } },
    spec: { containers: [{ name: "app", image }] },
  };
}

export interface DeploymentOptions {
  readonly name?: string;
  readonly replicas?: number;
  readonly image?: string;
  readonly maxSurge?: number | string;
  readonly maxUnavailable?: number | string;
  readonly minReadySeconds?: number;
  readonly paused?: boolean;
  readonly recreate?: boolean;
  readonly original?: unknown;
  readonly stableRevision?: string;
}

export function deployment(options: DeploymentOptions = {}): V1Deployment {
  const annotations: Record<string, string> = {};
  if (options.original !== undefined) annotations[ANNOTATION_ORIGINAL] = JSON.stringify(options.original);
  if (options.stableRevision !== undefined) {
    annotations[ANNOTATION_RELEASE] = JSON.stringify({
      rollout: "web",
      stableRevision: options.stableRevision,
    });
  }
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: options.name ?? "web",
      namespace: NAMESPACE,
      uid: "uid-deploy-web",
      resourceVersion: "100",
      generation: 2,
      annotations,
      labels: { "rollouts.slipway.dev/managed-by": "web" },
    },
    spec: {
      replicas: options.replicas ?? 10,
      selector: { matchLabels: { app: "web" } },
      template: template(options.image ?? "web:v2"),
      minReadySeconds: options.minReadySeconds ?? 0,
      paused: options.paused ?? true,
      progressDeadlineSeconds: 600,
      strategy: options.recreate
        ? { type: "Recreate" }
        : {
            type: "RollingUpdate",
            rollingUpdate: {
              maxSurge: options.maxSurge ?? "25%",
              maxUnavailable: options.maxUnavailable ?? "25%",
            },
          },
    },
    status: { observedGeneration: 2 },
  };
}

export function controllerRef(kind: string, name: string, uid: string): V1OwnerReference {
  return { apiVersion: "apps/v1", kind, name, uid, controller: true, blockOwnerDeletion: true };
}

export function replicaSet(
  owner: V1Deployment,
  hash: string,
  image: string,
  replicas: number,
  revision: number,
  createdAt = T0,
): V1ReplicaSet {
  const name = `${owner.metadata!.name}-${hash}`;
  const labels = { app: "web", "pod-template-hash": hash };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: NAMESPACE,
      uid: `uid-${name}`,
      resourceVersion: `${revision}0`,
      creationTimestamp: at(createdAt),
      labels,
      annotations: { "deployment.kubernetes.io/revision": String(revision) },
      ownerReferences: [controllerRef("Deployment", owner.metadata!.name!, owner.metadata!.uid!)],
    },
    spec: {
      replicas,
      minReadySeconds: owner.spec?.minReadySeconds ?? 0,
      selector: { matchLabels: labels },
      template: { ...template(image), metadata: { labels } },
    },
  };
}

export type PodState = "pending" | "ready" | "terminating" | "failed";

export function pod(
  owner: { kind: string; name: string; uid: string },
  index: number,
  state: PodState,
  labels: Record<string, string>,
  readySince = T0,
): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${owner.name}-${index}`,
      namespace: NAMESPACE,
      uid: `uid-${owner.name}-${index}`,
      resourceVersion: "1",
      labels,
      ownerReferences: [controllerRef(owner.kind, owner.name, owner.uid)],
      ...(state === "terminating" && { deletionTimestamp: at(T0) }),
    },
    status: {
      phase: state === "failed" ? "Failed" : state === "pending" ? "Pending" : "Running",
      conditions: [
        {
          type: "Ready",
          status: state === "ready" || state === "terminating" ? "True" : "False",
          lastTransitionTime: at(readySince),
        },
      ],
    },
  };
}

/** `count` pods of a ReplicaSet, the first `ready` of them ready. */
export function podsOf(rs: V1ReplicaSet, count: number, ready: number, readySince = T0): V1Pod[] {
  const owner = { kind: "ReplicaSet", name: rs.metadata!.name!, uid: rs.metadata!.uid! };
  const labels = rs.spec!.template!.metadata!.labels!;
  return Array.from({ length: count }, (_, i) =>
    pod(owner, i, i < ready ? "ready" : "pending", labels, readySince),
  );
}

export function statefulSet(options: {
  replicas?: number;
  partition?: number;
  currentRevision?: string;
  updateRevision?: string;
  original?: unknown;
  stableRevision?: string;
  updatedReplicas?: number;
  maxUnavailable?: number | string;
}): V1StatefulSet {
  const annotations: Record<string, string> = {};
  if (options.original !== undefined) annotations[ANNOTATION_ORIGINAL] = JSON.stringify(options.original);
  if (options.stableRevision !== undefined) {
    annotations[ANNOTATION_RELEASE] = JSON.stringify({
      rollout: "db",
      stableRevision: options.stableRevision,
    });
  }
  const replicas = options.replicas ?? 5;
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: "db",
      namespace: NAMESPACE,
      uid: "uid-sts-db",
      resourceVersion: "200",
      generation: 3,
      annotations,
    },
    spec: {
      replicas,
      serviceName: "db",
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: { containers: [{ name: "db", image: "db:v2" }] },
      },
      updateStrategy: {
        type: "RollingUpdate",
        rollingUpdate: {
          partition: options.partition ?? replicas,
          ...(options.maxUnavailable !== undefined && { maxUnavailable: options.maxUnavailable }),
        },
      },
    },
    status: {
      observedGeneration: 3,
      replicas,
      currentRevision: options.currentRevision ?? "db-stable1",
      updateRevision: options.updateRevision ?? "db-canary1",
      updatedReplicas: options.updatedReplicas ?? 0,
    },
  };
}

/** StatefulSet pods: ordinals 0..n-1, each with its revision and readiness. */
export function statefulPods(revisions: readonly { revision: string; state: PodState }[]): V1Pod[] {
  const owner = { kind: "StatefulSet", name: "db", uid: "uid-sts-db" };
  return revisions.map(({ revision, state }, i) =>
    pod(owner, i, state, { app: "db", "controller-revision-hash": revision }),
  );
}
