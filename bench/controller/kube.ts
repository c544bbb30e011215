// The benchmark's own API access: one client (user agent "slipway-bench", so the audit log tells its
// requests from the controller's), manifests, server-side apply in parallel batches, and the user actions
// a release needs (set image, approve).
import { API_VERSION, ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { createKubeClient, type KubeClient } from "../../src/kube/client.ts";
import { isApiError, isNotFound } from "../../src/kube/errors.ts";
import { mergePatch, serverSideApply, strategicMergePatch } from "../../src/kube/patch.ts";
import {
  DEPLOYMENTS,
  NAMESPACES,
  ROLLOUTS,
  type KubeObject,
  type ResourceRef,
} from "../../src/kube/resources.ts";

export const BENCH_USER_AGENT = "slipway-bench/0.1.0";
export const BENCH_LABEL = "bench.slipway.dev/run";
const FIELD_MANAGER = "slipway-bench";

export function benchClient(kubeconfig: string): KubeClient {
  return createKubeClient({ kubeconfig }, { userAgent: BENCH_USER_AGENT }).client;
}

type Manifest = KubeObject & Record<string, unknown>;

export function namespaceManifest(name: string): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [BENCH_LABEL]: "controller" } } };
}

/** A plain Deployment with the API defaults spelled out: 25% / 25% rolling update. */
export function deploymentManifest(
  namespace: string,
  name: string,
  replicas: number,
  image: string,
): Manifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "app", image }] },
      },
    },
  };
}

export function rolloutManifest(namespace: string, name: string, steps: readonly unknown[]): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "Rollout",
    metadata: { name, namespace },
    spec: {
      workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      strategy: { canary: { progressDeadlineSeconds: 600, steps } },
    },
  };
}

const RESOURCES: Readonly<Record<string, ResourceRef>> = {
  Namespace: NAMESPACES,
  Deployment: DEPLOYMENTS,
  Rollout: ROLLOUTS,
};

/** Server-side applies the objects, `concurrency` requests at a time (a 5xx is retried a few times). */
export async function applyAll(
  client: KubeClient,
  objects: readonly Manifest[],
  concurrency = 16,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const obj = objects[next++]!;
      const resource = RESOURCES[obj.kind ?? ""];
      if (resource === undefined) throw new Error(`bench: cannot apply a ${obj.kind}`);
      const target = {
        resource,
        name: obj.metadata?.name ?? "",
        ...(resource.namespaced ? { namespace: obj.metadata?.namespace ?? "" } : {}),
      };
      await retry5xx(`apply ${obj.kind} ${obj.metadata?.namespace ?? ""}/${target.name}`, () =>
        serverSideApply(client, target, obj, { force: true, fieldManager: FIELD_MANAGER }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
}

/** `kubectl set image`: a strategic merge patch of the one container (the webhook holds it). */
export function setImage(
  client: KubeClient,
  namespace: string,
  name: string,
  image: string,
): Promise<unknown> {
  return retry5xx(`set image of Deployment ${namespace}/${name}`, () =>
    strategicMergePatch(
      client,
      { resource: DEPLOYMENTS, namespace, name },
      { spec: { template: { spec: { containers: [{ name: "app", image }] } } } },
      { fieldManager: FIELD_MANAGER },
    ),
  );
}

/** `kubectl slipway approve`: the approve annotation with the step index. */
export function approve(client: KubeClient, namespace: string, name: string, step: number): Promise<unknown> {
  return mergePatch(
    client,
    { resource: ROLLOUTS, namespace, name },
    { metadata: { annotations: { [ANNOTATION_APPROVE]: String(step) } } },
    { fieldManager: FIELD_MANAGER },
  );
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.request({ method: "DELETE", path: `/api/v1/namespaces/${name}` });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The admission webhook fails closed: while the controller restarts, a write may get a 5xx for a moment. */
async function retry5xx<T>(what: string, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      // 0: the API server could not be reached for a moment; 5xx: the webhook is not serving yet.
      const retriable = isApiError(err) && (err.status === 0 || err.status >= 500);
      if (attempt >= 20 || !retriable) {
        throw new Error(`bench: ${what} failed: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
