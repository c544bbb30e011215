// Helpers for the traffic e2e tests: CRDs, a real Rollout to own canary objects, raw reads, and driving a
// traffic operation until it settles.
import { readFileSync } from "node:fs";
import type { KubernetesObject } from "@kubernetes/client-node";
import { join } from "node:path";
import { withDefaults } from "../../../src/api/defaults.ts";
import { parseRollout } from "../../../src/api/parse.ts";
import { createKubeClient, type KubeClient } from "../../../src/kube/client.ts";
import { isNotFound } from "../../../src/kube/errors.ts";
import type { TrafficProgress } from "../../../src/traffic/session.ts";
import type { JsonObject, RevisionLabel, TrafficTarget } from "../../../src/traffic/types.ts";
import { waitFor, done, notYet } from "../../cluster/wait.ts";
import { applyYaml } from "./apply.ts";
import { currentCluster } from "./context.ts";

const root = join(import.meta.dirname, "..", "..", "..");

/** Server-side applies plain JSON objects (the traffic tests build them as JsonObject). */
export function applyJson(objects: readonly JsonObject[], namespace: string): Promise<KubernetesObject[]> {
  return applyYaml(objects as unknown as KubernetesObject[], { namespace });
}

let cached: KubeClient | undefined;
export function kubeClient(): KubeClient {
  cached ??= createKubeClient({ kubeconfig: currentCluster().kubeconfig }).client;
  return cached;
}

/** GET as raw JSON; undefined on 404. */
export async function getJson(path: string): Promise<JsonObject | undefined> {
  try {
    return await kubeClient().request<JsonObject>({ method: "GET", path });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function established(name: string): Promise<void> {
  await waitFor(`CRD ${name} Established`, async () => {
    const crd = await getJson(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const conditions = ((crd?.["status"] as JsonObject | undefined)?.["conditions"] ?? []) as JsonObject[];
    const ok = conditions.some((c) => c["type"] === "Established" && c["status"] === "True");
    return ok ? done(undefined) : notYet(conditions);
  });
}

/** Installs (or updates) the Istio CRD fixtures and waits until v1 and v1beta1 are both served. */
export async function installIstioCrds(): Promise<void> {
  await applyYaml(readFileSync(join(root, "test/e2e/fixtures/istio-minimal-crds.yaml"), "utf8"));
  for (const name of ["virtualservices.networking.istio.io", "destinationrules.networking.istio.io"]) {
    await established(name);
  }
  await waitFor("networking.istio.io v1 and v1beta1 served", async () => {
    const group = await getJson("/apis/networking.istio.io");
    const versions = ((group?.["versions"] ?? []) as JsonObject[]).map((v) => v["version"]);
    const both = ["v1", "v1beta1"].every((v) => versions.includes(v));
    if (!both) return notYet(versions);
    for (const v of ["v1", "v1beta1"]) {
      const list = await getJson(`/apis/networking.istio.io/${v}`);
      const names = ((list?.["resources"] ?? []) as JsonObject[]).map((r) => r["name"]);
      if (!names.includes("virtualservices") || !names.includes("destinationrules")) return notYet(names);
    }
    return done(undefined);
  });
}

export async function installRolloutCrd(): Promise<void> {
  await applyYaml(readFileSync(join(root, "crds/rollouts.slipway.dev_rollouts.yaml"), "utf8"));
  await established("rollouts.rollouts.slipway.dev");
}

/**
 * Creates a Rollout (no controller acts on it here; it owns the canary objects, as in production) and
 * returns the TrafficTarget built from it the way the reconciler does: parsed, defaults applied.
 */
export async function rolloutTarget(
  namespace: string,
  trafficRouting: JsonObject,
  revisions: { readonly label?: RevisionLabel; readonly stable: string; readonly canary: string },
): Promise<TrafficTarget> {
  const [created] = await applyJson(
    [
      {
        apiVersion: "rollouts.slipway.dev/v1alpha1",
        kind: "Rollout",
        metadata: { name: "web", namespace },
        spec: {
          workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          strategy: {
            canary: {
              steps: [
                { replicas: 1, traffic: "5%" },
                { replicas: "50%", traffic: "50%" },
                { replicas: "100%" },
              ],
              trafficRouting,
            },
          },
        },
      },
    ],
    namespace,
  );
  const parsed = parseRollout(created);
  if (!parsed.ok) throw new Error(`the test Rollout does not parse: ${JSON.stringify(parsed.problems)}`);
  const routing = withDefaults(parsed.value.spec).trafficRouting;
  if (routing === null) throw new Error("the test Rollout has no trafficRouting");
  return {
    namespace,
    routing,
    owner: {
      apiVersion: "rollouts.slipway.dev/v1alpha1",
      kind: "Rollout",
      name: "web",
      uid: String(created?.metadata?.uid),
    },
    revisionLabel: revisions.label ?? "pod-template-hash",
    stableRevision: revisions.stable,
    canaryRevision: revisions.canary,
  };
}

/** Repeats a traffic operation until it reports done or blocked (each call applies one stage). */
export async function settle(op: () => Promise<TrafficProgress>, rounds = 10): Promise<TrafficProgress> {
  const seen: TrafficProgress[] = [];
  for (let i = 0; i < rounds; i++) {
    const p = await op();
    seen.push(p);
    if (p.kind === "done" || p.kind === "blocked") return p;
  }
  throw new Error(`traffic did not settle in ${rounds} rounds: ${JSON.stringify(seen)}`);
}

export const metaOf = (o: JsonObject | undefined): JsonObject => (o?.["metadata"] ?? {}) as JsonObject;
export const specOf = (o: JsonObject | undefined): JsonObject => (o?.["spec"] ?? {}) as JsonObject;
export const annotationsOf = (o: JsonObject | undefined): Record<string, string> =>
  (metaOf(o)["annotations"] ?? {}) as Record<string, string>;

/** The object as a user sees it, minus what the server bumps on every write. */
export function userView(o: JsonObject | undefined): string {
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metaOf(o);
  return JSON.stringify({ ...o, metadata: meta });
}
