// Small builders for the workloads tests deploy. Pods run nothing (kwok), so images are just names.
import type { V1Deployment, V1Ingress, V1Service, V1StatefulSet } from "@kubernetes/client-node";

export interface WorkloadOptions {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly image?: string;
  /** Extra pod-template labels, e.g. `{ [LABEL_TEST_BEHAVIOR]: "never-ready" }`. */
  readonly podLabels?: Readonly<Record<string, string>>;
}

export interface DeploymentOptions extends WorkloadOptions {
  readonly paused?: boolean;
  readonly maxSurge?: number | string;
  readonly maxUnavailable?: number | string;
  readonly progressDeadlineSeconds?: number;
}

export interface StatefulSetOptions extends WorkloadOptions {
  readonly partition?: number;
  /** Parallel starts all pods at once (faster); OrderedReady is the Kubernetes default. */
  readonly podManagementPolicy?: "Parallel" | "OrderedReady";
}

export function podTemplate(o: WorkloadOptions) {
  return {
    metadata: { labels: { app: o.name, ...o.podLabels } },
    spec: { containers: [{ name: "app", image: o.image ?? "registry.example/app:v1" }] },
  };
}

export function deployment(o: DeploymentOptions): V1Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      replicas: o.replicas,
      paused: o.paused,
      progressDeadlineSeconds: o.progressDeadlineSeconds,
      selector: { matchLabels: { app: o.name } },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: o.maxSurge ?? "25%", maxUnavailable: o.maxUnavailable ?? "25%" },
      },
      template: podTemplate(o),
    },
  };
}

/** A headless Service: no ClusterIP is allocated, nothing routes anywhere. */
export function headlessService(name: string, namespace: string): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP: "None", selector: { app: name }, ports: [{ name: "http", port: 80 }] },
  };
}

export function statefulSet(o: StatefulSetOptions): V1StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      replicas: o.replicas,
      serviceName: o.name,
      podManagementPolicy: o.podManagementPolicy ?? "Parallel",
      selector: { matchLabels: { app: o.name } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: o.partition ?? 0 } },
      template: podTemplate(o),
    },
  };
}

/** The stable Service of traffic routing: selects the app's pods (every revision) on port 80. */
export function routedService(name: string, namespace: string): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: "http", port: 80 }] },
  };
}

/** The stable Ingress of nginx traffic routing: `web.example/` to the Service `name` (no controller serves it). */
export function nginxIngress(name: string, namespace: string): V1Ingress {
  const backend = { service: { name, port: { number: 80 } } };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace },
    spec: {
      ingressClassName: "nginx",
      rules: [{ host: "web.example", http: { paths: [{ path: "/", pathType: "Prefix", backend }] } }],
    },
  };
}
