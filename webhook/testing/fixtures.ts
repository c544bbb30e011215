// Realistic objects for the webhook's unit tests, fuzzing and benchmark (shaped like what the API server
// sends after defaulting).

import { LABEL_MANAGED_BY } from "../../src/api/names.ts";
import { parseRollout } from "../../src/api/parse.ts";
import type { Rollout } from "../../src/api/rollout.ts";

type Obj = Record<string, unknown>;

export function podTemplate(image: string, extraLabels: Record<string, string> = {}): Obj {
  return {
    metadata: { creationTimestamp: null, labels: { app: "web", ...extraLabels } },
    spec: {
      containers: [
        {
          name: "web",
          image,
          ports: [{ containerPort: 8080, protocol: "TCP" }],
          resources: { requests: { cpu: "100m", memory: "64Mi" } },
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      securityContext: {},
      schedulerName: "default-scheduler",
    },
  };
}

function workloadMetadata(name: string, annotations: Record<string, string>): Obj {
  return {
    name,
    namespace: "shop",
    uid: "0b7d7f4e-5e0a-4c57-9a4e-0d6d1b1d3c11",
    resourceVersion: "4242",
    generation: 3,
    labels: { app: name, [LABEL_MANAGED_BY]: name },
    annotations: { "deployment.kubernetes.io/revision": "3", ...annotations },
  };
}

export function deployment(
  image: string,
  opts: { replicas?: number; paused?: boolean; annotations?: Record<string, string> } = {},
): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: workloadMetadata("web", opts.annotations ?? {}),
    spec: {
      replicas: opts.replicas ?? 10,
      selector: { matchLabels: { app: "web" } },
      template: podTemplate(image),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...(opts.paused === undefined ? {} : { paused: opts.paused }),
    },
    status: {
      observedGeneration: 3,
      replicas: 10,
      updatedReplicas: 10,
      readyReplicas: 10,
      availableReplicas: 10,
    },
  };
}

export function statefulSet(
  image: string,
  opts: { replicas?: number; partition?: number; type?: string; annotations?: Record<string, string> } = {},
): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: workloadMetadata("db", opts.annotations ?? {}),
    spec: {
      replicas: opts.replicas ?? 5,
      selector: { matchLabels: { app: "db" } },
      serviceName: "db",
      template: podTemplate(image),
      updateStrategy:
        opts.type === "OnDelete"
          ? { type: "OnDelete" }
          : { type: "RollingUpdate", rollingUpdate: { partition: opts.partition ?? 0 } },
      podManagementPolicy: "OrderedReady",
    },
    status: { replicas: 5, currentRevision: "db-5d8f9c7b6", updateRevision: "db-5d8f9c7b6" },
  };
}

export function cloneSet(
  image: string,
  opts: { replicas?: number; partition?: number | string; annotations?: Record<string, string> } = {},
): Obj {
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "CloneSet",
    metadata: workloadMetadata("api", opts.annotations ?? {}),
    spec: {
      replicas: opts.replicas ?? 4,
      selector: { matchLabels: { app: "api" } },
      template: podTemplate(image),
      updateStrategy: {
        type: "ReCreate",
        ...(opts.partition === undefined ? {} : { partition: opts.partition }),
      },
    },
    status: { replicas: 4, updateRevision: "api-6f7c8d9b5" },
  };
}

type Step = {
  replicas: number | string;
  pause?: { duration?: string };
  analysis?: unknown;
  traffic?: string;
};

export function rollout(
  opts: {
    name?: string;
    kind?: string;
    apiVersion?: string;
    workload?: string;
    phase?: string;
    step?: number;
    stepState?: string;
    canaryRevision?: string;
    stableRevision?: string;
    disabled?: boolean;
    /** spec.paused */
    paused?: boolean;
    deleting?: boolean;
    ignoreTemplateKeys?: string[];
    steps?: Step[];
    annotations?: Record<string, string>;
  } = {},
): Rollout {
  const object = {
    apiVersion: "rollouts.slipway.dev/v1alpha1",
    kind: "Rollout",
    metadata: {
      name: opts.name ?? "web",
      namespace: "shop",
      uid: "9c1e2a57-7f43-4d7c-8a36-1f0e5b6a2d90",
      ...(opts.deleting === true ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
      ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
    },
    spec: {
      workloadRef: {
        apiVersion: opts.apiVersion ?? "apps/v1",
        kind: opts.kind ?? "Deployment",
        name: opts.workload ?? "web",
      },
      ...(opts.disabled === undefined ? {} : { disabled: opts.disabled }),
      ...(opts.paused === undefined ? {} : { paused: opts.paused }),
      ...(opts.ignoreTemplateKeys === undefined ? {} : { ignoreTemplateKeys: opts.ignoreTemplateKeys }),
      strategy: {
        canary: {
          steps: opts.steps ?? [
            { replicas: 1, pause: {} },
            { replicas: "50%", pause: { duration: "10m" } },
            { replicas: "100%" },
          ],
        },
      },
    },
    status: {
      phase: opts.phase ?? "Healthy",
      currentStepIndex: opts.step ?? 0,
      ...(opts.stepState === undefined ? {} : { currentStepState: opts.stepState }),
      stableRevision: opts.stableRevision ?? "5d8f9c7b6",
      ...(opts.canaryRevision === undefined ? {} : { canaryRevision: opts.canaryRevision }),
    },
  };
  const parsed = parseRollout(object);
  if (!parsed.ok) throw new Error(`fixture Rollout is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

type DeepMutable<T> = T extends (infer U)[]
  ? DeepMutable<U>[]
  : T extends readonly (infer U)[]
    ? DeepMutable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
      : T;

/** A copy of `object` with `edit` applied (tests describe updates as edits of the old object). */
export function edited<T>(object: T, edit: (copy: DeepMutable<T>) => void): T {
  const copy = structuredClone(object) as DeepMutable<T>;
  edit(copy);
  return copy as T;
}
