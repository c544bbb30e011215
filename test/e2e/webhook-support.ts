// Support for the webhook e2e tests: CRDs, the webhook running in the test process (local mode), Rollout
// manifests, and the controller's side of the contract (status) written by hand.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CustomObjectsApi, type KubernetesObject } from "@kubernetes/client-node";
import { createKubeClient } from "../../src/kube/client.ts";
import { isAlreadyExists, isNotFound } from "../../src/kube/errors.ts";
import { collectionPath, objectPath, type ResourceRef } from "../../src/kube/resources.ts";
import { pino } from "pino";
import { Registry } from "prom-client";
import { parse } from "yaml";
import {
  API_VERSION,
  GROUP,
  PLURAL_ROLLOUTS,
  VERSION,
  WEBHOOK_CONFIGURATION_NAME,
} from "../../src/api/names.ts";
import { runWebhook, type RunningWebhook } from "../../webhook/run.ts";
import { clients, currentCluster, done, mergePatch, notYet, statusCode, waitFor } from "./lib/index.ts";

const CRD_DIR = join(import.meta.dirname, "../../crds");

/** Makes sure the CRDs of crds/ are served. A CRD that already exists is left alone (other suites share it). */
export async function installCrds(): Promise<void> {
  // Raw JSON: client-node's typed model would drop `x-kubernetes-*` keys written in YAML form.
  const { client } = createKubeClient({ kubeconfig: currentCluster().kubeconfig });
  const crds: ResourceRef = {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    namespaced: false,
  };
  for (const file of (await readdir(CRD_DIR)).filter((f) => f.endsWith(".yaml"))) {
    const crd = parse(await readFile(join(CRD_DIR, file), "utf8")) as { metadata: { name: string } };
    try {
      await client.request({ method: "GET", path: objectPath(crds, crd.metadata.name) });
      continue;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await client.request({ method: "POST", path: collectionPath(crds), body: crd });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  await client.kc.closeConnections();
  const { kc } = clients();
  const custom = kc.makeApiClient(CustomObjectsApi);
  await waitFor("the Rollout CRD to be served", async () => {
    try {
      await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL_ROLLOUTS });
      return done(undefined);
    } catch (err) {
      return notYet(err);
    }
  });
}

export interface StartedWebhook extends RunningWebhook {
  readonly metrics: Registry;
}

export async function startWebhook(
  namespace: string,
  certificateTimes: Parameters<typeof runWebhook>[0]["certificateTimes"] = {},
  options: { readonly waitForApiServer?: boolean } = {},
): Promise<StartedWebhook> {
  const metrics = new Registry();
  const running = await runWebhook({
    local: true,
    port: 0,
    namespace,
    service: "slipway-webhook",
    kubeconfig: currentCluster().kubeconfig,
    certificateTimes,
    drainDelayMs: 0,
    logger: pino({ level: process.env["SLIPWAY_WEBHOOK_LOG_LEVEL"] ?? "warn" }),
    metrics,
  });
  const started = { ...running, metrics };
  if (options.waitForApiServer ?? true) await waitUntilCalled(started);
  return started;
}

/**
 * The API server learns about configuration changes through a watch; wait until it really calls this
 * webhook (a server-side dry run of a Rollout goes through /mutate-rollout and changes nothing).
 */
async function waitUntilCalled(webhook: StartedWebhook): Promise<void> {
  const before = await requestsServed(webhook, "/mutate-rollout");
  const probe = rolloutManifest("default", "webhook-probe");
  await waitFor("the API server to call the new webhook", async () => {
    try {
      await customObjects().createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: "default",
        plural: PLURAL_ROLLOUTS,
        body: probe,
        dryRun: "All",
      });
    } catch (err) {
      return notYet(err);
    }
    const after = await requestsServed(webhook, "/mutate-rollout");
    return after > before ? done(undefined) : notYet(`requests to /mutate-rollout: ${after}`);
  });
}

/** Removes the `slipway` configurations (failurePolicy Fail must not outlive the webhook). */
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

export interface RolloutOptions {
  readonly kind?: "Deployment" | "StatefulSet";
  readonly workload?: string;
  readonly disabled?: boolean;
  readonly finalizers?: readonly string[];
}

export function rolloutManifest(namespace: string, name: string, o: RolloutOptions = {}): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: "Rollout",
    metadata: { name, namespace, ...(o.finalizers === undefined ? {} : { finalizers: [...o.finalizers] }) },
    spec: {
      workloadRef: { apiVersion: "apps/v1", kind: o.kind ?? "Deployment", name: o.workload ?? name },
      ...(o.disabled === undefined ? {} : { disabled: o.disabled }),
      strategy: {
        canary: {
          steps: [{ replicas: 1, pause: {} }, { replicas: "50%", pause: {} }, { replicas: "100%" }],
        },
      },
    },
  } as KubernetesObject;
}

export function customObjects(identity: Parameters<typeof clients>[0] = "admin"): CustomObjectsApi {
  return clients(identity).kc.makeApiClient(CustomObjectsApi);
}

/** Writes Rollout status as the controller would (the webhook reads it to judge actions and re-holds). */
export async function setRolloutStatus(
  namespace: string,
  name: string,
  status: Record<string, unknown>,
): Promise<void> {
  await customObjects().patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural: PLURAL_ROLLOUTS, name, body: { status } },
    mergePatch,
  );
}

/** Waits until the webhook's Rollout cache shows what `matches` wants (the watch is asynchronous). */
export function waitForCache(
  webhook: RunningWebhook,
  namespace: string,
  name: string,
  matches: (rollout: NonNullable<ReturnType<RunningWebhook["rollouts"]["get"]>> | undefined) => boolean,
  what: string,
): Promise<void> {
  return waitFor(`the webhook's cache to see rollout ${namespace}/${name} ${what}`, () => {
    const rollout = webhook.rollouts.get(namespace, name);
    return matches(rollout) ? done(undefined) : notYet(rollout);
  });
}

/** The number of admission requests the webhook answered on `path`. */
export async function requestsServed(webhook: StartedWebhook, path: string): Promise<number> {
  const metric = await webhook.metrics.getSingleMetric("controller_runtime_webhook_requests_total")?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels["webhook"] === path)
    .reduce((sum, v) => sum + v.value, 0);
}
