// Rollout e2e fixtures: CRDs, Rollout manifests, reading and annotating Rollouts as a user would, RBAC for
// the approving user, and `kubectl set image`.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CustomObjectsApi, type KubernetesObject, type V1Deployment } from "@kubernetes/client-node";
import { createKubeClient } from "../../../src/kube/client.ts";
import { isNotFound } from "../../../src/kube/errors.ts";
import { parse } from "yaml";
import {
  API_VERSION,
  GROUP,
  PLURAL_ROLLOUTS,
  VERSION,
  WEBHOOK_CONFIGURATION_NAME,
} from "../../../src/api/names.ts";
import type { RolloutStatus } from "../../../src/api/rollout-status.ts";
import { setCloneSetTemplate } from "./cloneset.ts";
import {
  applyYaml,
  clients,
  currentCluster,
  describeNamespace,
  done,
  mergePatch,
  notYet,
  statusCode,
  strategicMergePatch,
  waitFor,
  type Identity,
} from "../lib/index.ts";

const CRD_DIR = join(import.meta.dirname, "../../../crds");

/**
 * Installs crds/ exactly as generated: created, or replaced whole (a server-side apply would merge with
 * fields another manager left behind). Sent as raw JSON: client-node's typed CRD model loses
 * `x-kubernetes-int-or-string` on the way.
 */
export async function installCrds(): Promise<void> {
  const files = (await readdir(CRD_DIR)).filter((f) => f.endsWith(".yaml")).sort();
  const { client } = createKubeClient({ kubeconfig: currentCluster().kubeconfig });
  const crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  try {
    for (const file of files) {
      const crd = parse(await readFile(join(CRD_DIR, file), "utf8")) as { metadata: { name: string } };
      const name = crd.metadata.name;
      try {
        const existing = await client.request<{ metadata: { resourceVersion: string } }>({
          method: "GET",
          path: `${crds}/${name}`,
        });
        const body = {
          ...crd,
          metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion },
        };
        await client.request({ method: "PUT", path: `${crds}/${name}`, body });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await client.request({ method: "POST", path: crds, body: crd });
      }
    }
  } finally {
    await client.kc.closeConnections();
  }
  await waitFor("the Rollout CRD to be served", async () => {
    try {
      await custom().listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL_ROLLOUTS });
      return done(undefined);
    } catch (err) {
      return notYet(err);
    }
  });
}

/** The `slipway` webhook configurations fail closed: they must not outlive the test's webhook. */
export async function deleteWebhookConfigurations(): Promise<void> {
  const { admission } = clients();
  for (const remove of [
    () => admission.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION_NAME }),
    () => admission.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION_NAME }),
  ]) {
    try {
      await remove();
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}

export function custom(identity: Identity = "admin"): CustomObjectsApi {
  return clients(identity).kc.makeApiClient(CustomObjectsApi);
}

export interface RolloutShape {
  readonly kind?: "Deployment" | "StatefulSet" | "CloneSet";
  readonly workload?: string;
  readonly steps?: readonly unknown[];
  readonly progressDeadlineSeconds?: number;
  readonly deploymentStyle?: "partition" | "canary-deployment";
  readonly paused?: boolean;
  /** `strategy.canary.trafficRouting`, as written in the Rollout. */
  readonly trafficRouting?: Record<string, unknown>;
}

/** The steps: 1 / 30% pause{} / 60% pause{5s} / 100%. */
export const STANDARD_STEPS = [
  { replicas: 1 },
  { replicas: "30%", pause: {} },
  { replicas: "60%", pause: { duration: "5s" } },
  { replicas: "100%" },
] as const;

export function rolloutManifest(namespace: string, name: string, o: RolloutShape = {}): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: "Rollout",
    metadata: { name, namespace },
    spec: {
      workloadRef: {
        apiVersion: o.kind === "CloneSet" ? "apps.kruise.io/v1alpha1" : "apps/v1",
        kind: o.kind ?? "Deployment",
        name: o.workload ?? name,
      },
      ...(o.paused === undefined ? {} : { paused: o.paused }),
      strategy: {
        canary: {
          ...(o.deploymentStyle === undefined ? {} : { deploymentStyle: o.deploymentStyle }),
          progressDeadlineSeconds: o.progressDeadlineSeconds ?? 120,
          steps: o.steps ?? STANDARD_STEPS,
          ...(o.trafficRouting === undefined ? {} : { trafficRouting: o.trafficRouting }),
        },
      },
    },
  } as KubernetesObject;
}

export interface RolloutView {
  readonly metadata: {
    readonly annotations?: Record<string, string>;
    readonly finalizers?: string[];
    readonly resourceVersion?: string;
  };
  readonly spec: Record<string, unknown>;
  readonly status?: RolloutStatus;
}

export async function getRollout(namespace: string, name: string): Promise<RolloutView | undefined> {
  try {
    return (await custom().getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL_ROLLOUTS,
      name,
    })) as RolloutView;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Sends a write, retrying while the API server answers 5xx (a webhook being restarted, failurePolicy: Fail);
 * a 4xx is a real answer and fails at once.
 */
async function sendThroughWebhook(description: string, send: () => Promise<unknown>): Promise<void> {
  const outcome = await waitFor(
    description,
    async () => {
      try {
        await send();
        return done(undefined);
      } catch (err) {
        const code = statusCode(err);
        return code !== undefined && code < 500 ? done(err) : notYet(err);
      }
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  if (outcome !== undefined) throw outcome;
}

/** Merge-patches a Rollout as `identity` (annotations, spec fields). */
export function patchRollout(
  namespace: string,
  name: string,
  body: Record<string, unknown>,
  identity: Identity = "admin",
): Promise<void> {
  return sendThroughWebhook(`patch Rollout ${namespace}/${name} as ${identity}`, () =>
    custom(identity).patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL_ROLLOUTS, name, body },
      mergePatch,
    ),
  );
}

export function annotate(
  namespace: string,
  name: string,
  key: string,
  value: string | null,
  as: Identity = "admin",
): Promise<void> {
  return patchRollout(namespace, name, { metadata: { annotations: { [key]: value } } }, as);
}

/** Grants `user` what `kubectl slipway approve/abort/retry` needs on Rollouts of one namespace. */
export async function grantRolloutOperator(namespace: string, user: string): Promise<void> {
  await applyYaml([
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "rollout-operator", namespace },
      rules: [
        {
          apiGroups: [GROUP],
          resources: [PLURAL_ROLLOUTS],
          verbs: ["get", "list", "watch", "patch", "update"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `rollout-operator-${user}`, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "rollout-operator" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    },
  ] as unknown as KubernetesObject[]);
}

/** `kubectl set image` (a strategic merge patch of one container), retried while the webhook restarts. */
export async function setTemplate(
  namespace: string,
  kind: "Deployment" | "StatefulSet" | "CloneSet",
  name: string,
  image: string,
  labels: Record<string, string | null> = {},
): Promise<void> {
  if (kind === "CloneSet") return setCloneSetTemplate(namespace, name, image, labels);
  const { apps } = clients();
  const body = {
    spec: { template: { metadata: { labels }, spec: { containers: [{ name: "app", image }] } } },
  };
  await sendThroughWebhook(`set the image of ${kind} ${namespace}/${name} to ${image}`, () =>
    kind === "Deployment"
      ? apps.patchNamespacedDeployment({ namespace, name, body }, strategicMergePatch)
      : apps.patchNamespacedStatefulSet({ namespace, name, body }, strategicMergePatch),
  );
}

/** Waits until the Rollout's status satisfies `check` (which returns true or a reason it is not yet). */
export function waitForRollout(
  namespace: string,
  name: string,
  description: string,
  check: (status: RolloutStatus, rollout: RolloutView) => boolean,
  timeoutMs = 90_000,
): Promise<RolloutView> {
  return waitFor(
    `Rollout ${namespace}/${name}: ${description}`,
    async () => {
      const r = await getRollout(namespace, name);
      if (r?.status !== undefined && check(r.status, r)) return done(r);
      const s = r?.status;
      return notYet({
        phase: s?.phase,
        step: s?.currentStepIndex,
        state: s?.currentStepState,
        message: s?.message,
        canary: s?.canaryRevision,
        history: s?.history,
        annotations: r?.metadata.annotations,
      });
    },
    { timeoutMs, intervalMs: 200, describeState: () => describeNamespace(namespace) },
  );
}

export async function deleteRollout(namespace: string, name: string): Promise<void> {
  await custom().deleteNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL_ROLLOUTS,
    name,
  });
}

export type DetachHow = "deleting the Rollout" | "disabled: true";

/** Detaches Rollout `name` from its workload the way `how` says, and waits until the controller has done it. */
export async function detachRollout(namespace: string, name: string, how: DetachHow): Promise<void> {
  if (how === "deleting the Rollout") {
    await deleteRollout(namespace, name);
    await waitFor("the Rollout to be gone", async () =>
      (await getRollout(namespace, name)) === undefined ? done(undefined) : notYet("still there"),
    );
  } else {
    await patchRollout(namespace, name, { spec: { disabled: true } });
    await waitForRollout(namespace, name, "Disabled", (s) => s.phase === "Disabled");
  }
}

/**
 * Deletes every Rollout of the namespace while a controller still runs (it detaches the workloads and drops
 * its finalizer), so the namespace can be deleted afterwards. Finalizers still there after `timeoutMs` (no
 * controller running) are removed by hand: a test must never leave a namespace stuck in Terminating.
 */
export async function releaseRollouts(namespace: string, timeoutMs = 30_000): Promise<void> {
  const names = async () => {
    const list = (await custom().listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL_ROLLOUTS,
    })) as { items: { metadata: { name: string } }[] };
    return list.items.map((r) => r.metadata.name);
  };
  for (const name of await names()) await deleteRollout(namespace, name).catch(() => undefined);
  try {
    await waitFor(
      `the Rollouts of ${namespace} to be gone`,
      async () => {
        const left = await names();
        return left.length === 0 ? done(undefined) : notYet(left);
      },
      { timeoutMs },
    );
  } catch {
    for (const name of await names()) {
      await custom()
        .patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL_ROLLOUTS,
            name,
            body: { metadata: { finalizers: null } },
          },
          mergePatch,
        )
        .catch(() => undefined);
    }
  }
}

export async function getDeployment(namespace: string, name: string): Promise<V1Deployment> {
  return clients().apps.readNamespacedDeployment({ namespace, name });
}
