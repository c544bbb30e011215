// The demo's writes to the cluster (server-side apply, `kubectl set image`) and the closing summary.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { API_VERSION } from "../../src/api/names.ts";
import { runGet } from "../../src/cli/get.ts";
import type { Connection } from "../../src/cli/connection.ts";
import { objectPath, type ResourceRef } from "../../src/kube/resources.ts";
import { APPLY_PATCH } from "../../src/kube/patch.ts";
import { APP, NAMESPACE, image } from "./manifests.ts";

type Json = Record<string, unknown>;

const FIELD_MANAGER = "slipway-demo";

const RESOURCES: Readonly<Record<string, ResourceRef>> = {
  CustomResourceDefinition: {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
  Namespace: { group: "", version: "v1", plural: "namespaces", namespaced: false },
  Deployment: { group: "apps", version: "v1", plural: "deployments", namespaced: true },
  Service: { group: "", version: "v1", plural: "services", namespaced: true },
  Ingress: { group: "networking.k8s.io", version: "v1", plural: "ingresses", namespaced: true },
  AnalysisTemplate: {
    group: "rollouts.slipway.dev",
    version: "v1alpha1",
    plural: "analysistemplates",
    namespaced: true,
  },
  Rollout: { group: "rollouts.slipway.dev", version: "v1alpha1", plural: "rollouts", namespaced: true },
};

/** Server-side applies each object, as `kubectl apply --server-side` would. */
export async function applyAll(conn: Connection, objects: readonly Json[]): Promise<void> {
  for (const obj of objects) {
    const kind = String(obj["kind"]);
    const resource = RESOURCES[kind];
    const meta = obj["metadata"] as { name: string; namespace?: string };
    if (resource === undefined) throw new Error(`the demo does not know how to apply a ${kind}`);
    await conn.client.request({
      method: "PATCH",
      path: objectPath(resource, meta.name, meta.namespace),
      query: { fieldManager: FIELD_MANAGER, force: true },
      body: obj,
      contentType: APPLY_PATCH,
    });
  }
}

/** `kubectl set image deployment/web web=…:<version>`: a release, exactly as a user causes one. */
export async function setImage(conn: Connection, version: string): Promise<void> {
  await conn.client.request({
    method: "PATCH",
    path: objectPath(RESOURCES["Deployment"] as ResourceRef, APP, NAMESPACE),
    body: { spec: { template: { spec: { containers: [{ name: APP, image: image(version) }] } } } },
    contentType: "application/strategic-merge-patch+json",
  });
}

async function text(url: string): Promise<string> {
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
  } catch (err) {
    return `(${url}: ${String(err)})`;
  }
}

/** Success ratio per version over the last minute, as Prometheus saw it. */
async function successByVersion(prometheusUrl: string): Promise<string[]> {
  const query = encodeURIComponent(
    'sum by (version) (increase(http_requests_total{status="200"}[5m])) / sum by (version) (increase(http_requests_total[5m]))',
  );
  const body = JSON.parse(await text(`${prometheusUrl}/api/v1/query?query=${query}`)) as {
    data?: { result?: { metric: { version?: string }; value: [number, string] }[] };
  };
  return (body.data?.result ?? [])
    .sort((a, b) => (a.metric.version ?? "").localeCompare(b.metric.version ?? ""))
    .map((r) => `${r.metric.version}: ${(Number(r.value[1]) * 100).toFixed(1)}% of requests succeeded`);
}

export interface SummaryInput {
  readonly kubeconfig: string;
  readonly prometheusUrl: string;
  readonly controllerMetrics: number;
  readonly v2Seconds: number;
  readonly v3Seconds: number;
  readonly logs: string;
}

export async function summary(conn: Connection, s: SummaryInput): Promise<string> {
  let view = "";
  await runGet(
    APP,
    { namespace: NAMESPACE, kubeconfig: s.kubeconfig },
    {
      stdout: (t) => (view += t),
      stderr: (t) => (view += t),
      readFile: () => Promise.reject(new Error("not used")),
      readStdin: () => Promise.resolve(""),
      terminal: { interactive: false, columns: 100, color: false },
    },
  );
  const metrics = (await text(`http://127.0.0.1:${s.controllerMetrics}/metrics`))
    .split("\n")
    .filter((l) =>
      /^(slipway_release_duration_seconds_count|slipway_analysis_measurements_total|controller_runtime_reconcile_total)\{/.test(
        l,
      ),
    );
  return [
    "",
    "════════ Slipway demo: summary ════════",
    `v2 (good): released to all 10 pods in ${s.v2Seconds}s — one success-rate gate passed, one approval.`,
    `v3 (bad):  the success-rate gate failed; traffic went back to v2 and the canary was scaled down in ${s.v3Seconds}s, with nobody involved.`,
    ...(await successByVersion(s.prometheusUrl)).map((l) => `  ${l}`),
    "",
    view,
    "Controller metrics:",
    ...metrics.map((l) => `  ${l}`),
    "",
    "Explore further:",
    `  export KUBECONFIG=${s.kubeconfig}`,
    `  npm run -s slipway -- get ${APP} -n ${NAMESPACE}            # the view above (kubectl slipway get …)`,
    `  npm run -s slipway -- undo ${APP} -n ${NAMESPACE}           # put v2's template back: the release ends as rolled back`,
    `  npm run -s slipway -- retry ${APP} -n ${NAMESPACE}          # or try v3 again from step 1`,
    `  ${s.prometheusUrl}/graph                          # Prometheus: http_requests_total, slipway_* (with --keep)`,
    `  kubectl get rollouts.${API_VERSION.split("/")[0]} -A        # printer columns`,
    `  logs: ${s.logs}`,
    "",
  ].join("\n");
}

const CRD_DIR = join(import.meta.dirname, "..", "..", "crds");

/** Applies crds/ (as generated from src/api) and waits until Rollouts are served. */
export async function installCrds(conn: Connection): Promise<void> {
  const crds = readdirSync(CRD_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => parse(readFileSync(join(CRD_DIR, f), "utf8")) as Json);
  await applyAll(conn, crds);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await conn.client.request({ method: "GET", path: `/apis/${API_VERSION}/rollouts` });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`the Rollout CRD is not served after 60s: ${String(err)}`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
