// Helpers for the kubectl-slipway e2e tests: the CLI run in-process exactly as `main(argv)` runs it, the
// CRDs, Rollouts created from them, and status written the way the controller writes it (status subresource).
import { connect } from "node:net";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubernetesObject } from "@kubernetes/client-node";
import { API_VERSION, WEBHOOK_CONFIGURATION_NAME } from "../../../src/api/names.ts";
import type { RolloutStatus } from "../../../src/api/rollout-status.ts";
import type { CliIo } from "../../../src/cli/io.ts";
import { main } from "../../../src/cli/main.ts";
import { KubeClient, SharedConnectionKubeConfig } from "../../../src/kube/client.ts";
import { mergePatch } from "../../../src/kube/patch.ts";
import { objectPath, ROLLOUTS, type KubeObject } from "../../../src/kube/resources.ts";
import { applyYaml, currentCluster, done, kubeConfig, notYet, waitFor, type Identity } from "../lib/index.ts";

const CRD_DIR = join(import.meta.dirname, "../../../crds");

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

const kubeconfigFiles = new Map<Identity, string>();

/** A kubeconfig file for `identity` (alice/bob: their own token locally, impersonation elsewhere). */
export function kubeconfigFile(identity: Identity = "admin"): string {
  if (identity === "admin") return currentCluster().kubeconfig;
  const known = kubeconfigFiles.get(identity);
  if (known !== undefined) return known;
  const file = join(mkdtempSync(join(tmpdir(), "slipway-cli-")), `${identity}.kubeconfig`);
  writeFileSync(file, kubeConfig(identity).exportConfig());
  kubeconfigFiles.set(identity, file);
  return file;
}

export interface RunOptions {
  readonly as?: Identity;
  readonly signal?: AbortSignal;
  readonly now?: number;
  /** Called with everything written to stdout so far, after each write. */
  readonly onStdout?: (all: string) => void;
}

/** Runs `kubectl slipway <args>` in-process against the test cluster; never throws. */
export async function slipway(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (t) => {
      out += t;
      options.onStdout?.(out);
    },
    stderr: (t) => (err += t),
    readFile: (p) => Promise.resolve(readFileSync(p, "utf8")),
    readStdin: () => Promise.resolve(""),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.now === undefined ? {} : { now: () => options.now ?? Date.now() }),
  };
  const code = await main(
    ["node", "kubectl-slipway", ...args, "--kubeconfig", kubeconfigFile(options.as)],
    io,
  );
  return { code, out, err };
}

let client: KubeClient | undefined;

/** A raw admin client (JSON as written: CRD fields survive). */
export function admin(): KubeClient {
  if (client !== undefined) return client;
  const kc = new SharedConnectionKubeConfig();
  kc.loadFromFile(currentCluster().kubeconfig);
  client = new KubeClient(kc);
  return client;
}

const WEBHOOK_CONFIGURATIONS = [
  "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
  "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
];

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

/**
 * These tests assert what the CLI writes with no Slipway running. A `slipway` webhook configuration left
 * behind by a killed local controller (its 127.0.0.1 port refuses connections) fails closed and would
 * refuse every Rollout write, so it is removed. A live one is left alone.
 */
export async function removeStaleSlipwayWebhooks(): Promise<void> {
  for (const collection of WEBHOOK_CONFIGURATIONS) {
    let config: { webhooks?: { clientConfig?: { url?: string } }[] };
    try {
      config = await admin().request({ method: "GET", path: `${collection}/${WEBHOOK_CONFIGURATION_NAME}` });
    } catch {
      continue;
    }
    const urls = (config.webhooks ?? []).map((w) => w.clientConfig?.url ?? "");
    const ports = urls.map((u) => /^https:\/\/127\.0\.0\.1:(\d+)\//.exec(u)?.[1]);
    if (ports.length === 0 || ports.some((p) => p === undefined)) continue;
    const live = await Promise.all(ports.map((p) => accepts(Number(p))));
    if (live.some((l) => l)) continue;
    await admin()
      .request({ method: "DELETE", path: `${collection}/${WEBHOOK_CONFIGURATION_NAME}` })
      .catch(() => undefined);
  }
}

/** Applies crds/ (server-side) and waits until Rollouts are served. */
export async function installCrds(): Promise<void> {
  await removeStaleSlipwayWebhooks();
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith(".yaml"))) {
    await applyYaml(readFileSync(join(CRD_DIR, file), "utf8"));
  }
  await waitFor("Rollouts to be served", async () => {
    try {
      await admin().request({ method: "GET", path: `/apis/${API_VERSION}/rollouts` });
      return done(undefined);
    } catch (err) {
      return notYet(err);
    }
  });
}

export type Json = Record<string, unknown>;

/** A Rollout of `workload` (a Deployment by default) with three steps: 1 pod, 50% + approval, 100%. */
export function rolloutManifest(name: string, workload = { kind: "Deployment", name }): Json {
  return {
    apiVersion: API_VERSION,
    kind: "Rollout",
    metadata: { name },
    spec: {
      workloadRef: { apiVersion: "apps/v1", ...workload },
      strategy: {
        canary: {
          steps: [
            { replicas: 1, traffic: "10%" },
            { replicas: "50%", traffic: "50%", pause: {} },
            { replicas: "100%", traffic: "100%" },
          ],
          trafficRouting: { service: name, nginx: { ingress: name } },
        },
      },
    },
  };
}

export async function createRollout(namespace: string, manifest: Json): Promise<KubernetesObject> {
  const [created] = await applyYaml(manifest as KubernetesObject, { namespace });
  if (created === undefined) throw new Error("applyYaml returned nothing");
  return created;
}

/** Writes status through the status subresource, as the controller does. */
export async function writeStatus(namespace: string, name: string, status: RolloutStatus): Promise<void> {
  await mergePatch(admin(), { resource: ROLLOUTS, name, namespace }, { status }, { subresource: "status" });
}

export async function getRollout(namespace: string, name: string): Promise<KubeObject & Json> {
  return admin().request({ method: "GET", path: objectPath(ROLLOUTS, name, namespace) });
}

export function annotationsOf(obj: KubeObject): Readonly<Record<string, string>> {
  return obj.metadata?.annotations ?? {};
}

/** A status at step `step` of 3, paused for approval at step 2. */
export function pausedAt(step: number, canaryRevision = "7c9d8b6f5"): RolloutStatus {
  return {
    phase: step === 2 ? "Paused" : "Progressing",
    message: `step ${step}/3: ${step === 2 ? "waiting for approval: kubectl slipway approve web" : "moving pods"}`,
    stableRevision: "5d8f9c7b6",
    canaryRevision,
    currentStepIndex: step,
    currentStepState: step === 2 ? "Paused" : "Upgrading",
    canaryReplicas: 1,
    canaryReadyReplicas: 1,
    trafficWeight: step === 2 ? 50 : 10,
  };
}
