// The generated CRDs on a real API server: they install, valid objects round-trip unchanged, invalid
// ones are refused BY THE API SERVER with the field path (the same documents `slipway lint` refuses),
// printer columns and discovery names show, and the examples apply.
//
// Uses a minimal client on KUBECONFIG; when the cluster harness (test/e2e/lib) lands, the lead may swap
// these helpers for it.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request, type RequestOptions } from "node:https";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { RULES } from "../../src/api/cel-rules.ts";
import {
  API_VERSION,
  GROUP,
  PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
  PLURAL_ROLLOUTS,
} from "../../src/api/names.ts";
import { parseAnalysisTemplate, parseRollout } from "../../src/api/parse.ts";
import { validRollout, validTemplate } from "../../src/api/testdata/fixtures.ts";
import {
  ROLLOUT_REJECTS,
  TEMPLATE_REJECTS,
  rolloutWith,
  templateWith,
  type RejectCase,
} from "../../src/api/testdata/reject-cases.ts";

type Json = Record<string, unknown>;
interface Reply {
  readonly status: number;
  readonly body: Json;
}

const root = join(import.meta.dirname, "..", "..");
const kc = new KubeConfig();
kc.loadFromDefault();
const namespace = `api-crds-${randomBytes(3).toString("hex")}`;
const ruleMessages = Object.values(RULES).flatMap((rules) => rules.map((r) => r.message));
const GV = `/apis/${API_VERSION}`;
const MERGE = "application/merge-patch+json";
const TABLE = "application/json;as=Table;g=meta.k8s.io;v=v1";

/**
 * One raw request to the API server of KUBECONFIG. Raw on purpose: client-node's typed serializer drops
 * JSON keys it does not know by their TS names (e.g. `x-kubernetes-validations` in a CRD read from YAML).
 */
async function kube(
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  accept = "application/json",
): Promise<Reply> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("KUBECONFIG has no current cluster");
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const headers = {
    ...(opts.headers as Record<string, string>),
    Accept: accept,
    "Content-Type": contentType,
  };
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), { ...opts, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Json) : {} }),
      );
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function ok(reply: Reply, what: string): Json {
  if (reply.status >= 300) throw new Error(`${what}: HTTP ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

function yamlObjects(text: string): Json[] {
  return parseAllDocuments(text, { version: "1.1" })
    .map((d) => d.toJS() as Json | null)
    .filter((o): o is Json => o !== null);
}

function meta(obj: Json): { name?: string; namespace?: string } {
  return (obj["metadata"] ?? {}) as { name?: string; namespace?: string };
}

/** REST path of an object (discovery tells plural and scope). */
async function pathOf(obj: Json, ns: string | undefined): Promise<string> {
  const apiVersion = String(obj["apiVersion"]);
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const resources = ok(await kube("GET", base), `discovery of ${apiVersion}`)["resources"] as {
    name: string;
    kind: string;
    namespaced: boolean;
  }[];
  const r = resources.find((x) => x.kind === obj["kind"] && !x.name.includes("/"));
  if (!r) throw new Error(`${apiVersion} serves no kind ${String(obj["kind"])}`);
  const scope = r.namespaced ? `/namespaces/${meta(obj).namespace ?? ns}` : "";
  return `${base}${scope}/${r.name}/${meta(obj).name ?? ""}`;
}

/** Server-side apply with strict field validation, as `kubectl apply --server-side` does. */
async function apply(obj: Json, ns?: string): Promise<Json> {
  const path = `${await pathOf(obj, ns)}?fieldManager=slipway-e2e&force=true&fieldValidation=Strict`;
  return ok(
    await kube("PATCH", path, obj, "application/apply-patch+yaml"),
    `apply ${String(obj["kind"])}/${meta(obj).name}`,
  );
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function established(name: string): Promise<void> {
  await waitUntil(`CRD ${name} Established`, async () => {
    const crd = (await kube("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).body;
    const conditions = ((crd["status"] as Json | undefined)?.["conditions"] ?? []) as {
      type: string;
      status: string;
    }[];
    return conditions.some((c) => c.type === "Established" && c.status === "True");
  });
}

const rollouts = (ns = namespace): string => `${GV}/namespaces/${ns}/${PLURAL_ROLLOUTS}`;

/** The API server's answer to creating `body` under `collection` with strict field validation. */
function create(collection: string, body: unknown): Promise<Reply> {
  return kube("POST", `${collection}?fieldValidation=Strict`, body);
}

async function createNamespace(name: string): Promise<void> {
  ok(
    await kube("POST", "/api/v1/namespaces", { metadata: { name, labels: { "slipway.dev/e2e": "true" } } }),
    `namespace ${name}`,
  );
}

beforeAll(async () => {
  const installed = ok(
    await kube("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
    "list CRDs",
  );
  const hasIstio = (installed["items"] as Json[]).some(
    (c) => (c["spec"] as Json)["group"] === "networking.istio.io",
  );
  const files = readdirSync(join(root, "crds")).map((f) => join(root, "crds", f));
  if (!hasIstio) files.push(join(root, "test/e2e/fixtures/istio-minimal-crds.yaml"));
  const objects = files.flatMap((f) => yamlObjects(readFileSync(f, "utf8")));
  for (const o of objects) await apply(o);
  for (const o of objects) await established(meta(o).name ?? "");
  await createNamespace(namespace);
});

afterAll(async () => {
  await kube("DELETE", `/api/v1/namespaces/${namespace}`);
});

describe("generated CRDs on the API server", () => {
  it("install and are established, with categories and short names in discovery", async () => {
    const list = ok(await kube("GET", GV), "discovery")["resources"] as Json[];
    const byName = new Map(list.map((r) => [r["name"], r]));
    expect(byName.get(PLURAL_ROLLOUTS)).toMatchObject({
      namespaced: true,
      shortNames: ["sro"],
      categories: ["slipway"],
    });
    expect(byName.get("analysistemplates")).toMatchObject({
      namespaced: true,
      shortNames: ["sat"],
      categories: ["slipway"],
    });
    expect(byName.get(PLURAL_CLUSTER_ANALYSIS_TEMPLATES)).toMatchObject({
      namespaced: false,
      shortNames: ["scat"],
    });
    expect(byName.has(`${PLURAL_ROLLOUTS}/status`)).toBe(true);
  });

  it("accept a valid Rollout and store its spec unchanged (nothing pruned)", async () => {
    const body = { ...validRollout(), metadata: { name: "web" } };
    expect(parseRollout(body).ok).toBe(true);
    const stored = ok(await create(rollouts(), body), "create Rollout");
    expect(stored["spec"]).toEqual(body.spec);
  });

  it("accept valid AnalysisTemplate and ClusterAnalysisTemplate objects unchanged", async () => {
    const t = validTemplate();
    const stored = ok(await create(`${GV}/namespaces/${namespace}/analysistemplates`, t), "create template");
    expect(stored["spec"]).toEqual(t.spec);
    const name = `${namespace}-gate`;
    const ct = { ...validTemplate("ClusterAnalysisTemplate"), metadata: { name } };
    try {
      const cluster = ok(
        await create(`${GV}/${PLURAL_CLUSTER_ANALYSIS_TEMPLATES}`, ct),
        "create cluster template",
      );
      expect(cluster["spec"]).toEqual(ct.spec);
      expect(meta(cluster).namespace).toBeUndefined();
    } finally {
      await kube("DELETE", `${GV}/${PLURAL_CLUSTER_ANALYSIS_TEMPLATES}/${name}`);
    }
  });

  const serverCases = (table: readonly RejectCase[]) =>
    table
      .filter((c) => !c[4]?.webhookOnly)
      .map(([name, mutate, path, message, opts]) => ({
        name,
        mutate,
        path,
        message,
        serverPath: opts?.serverPath ?? path,
      }));

  /** Sends an invalid document; the API server must refuse it naming the field (and our words for CEL rules). */
  async function expectRefused(
    collection: string,
    body: Json,
    serverPath: string,
    message: string,
  ): Promise<void> {
    const reply = await create(collection, {
      ...body,
      metadata: { name: `bad-${randomBytes(3).toString("hex")}` },
    });
    expect([400, 422], JSON.stringify(reply.body)).toContain(reply.status);
    const text = String(reply.body["message"]);
    expect(text).toContain(serverPath);
    if (ruleMessages.some((m) => m.includes(message))) expect(text).toContain(message);
  }

  it.each(serverCases(ROLLOUT_REJECTS))(
    "refuse a Rollout with $name at $serverPath (lint agrees)",
    async (c) => {
      const body = rolloutWith(c.mutate);
      const lint = parseRollout(body);
      expect(lint.ok ? [] : lint.problems.map((p) => p.path)).toEqual([c.path]);
      await expectRefused(rollouts(), body, c.serverPath, c.message);
    },
  );

  it.each(serverCases(TEMPLATE_REJECTS))(
    "refuse an AnalysisTemplate with $name at $serverPath (lint agrees)",
    async (c) => {
      const body = templateWith(c.mutate);
      const lint = parseAnalysisTemplate(body);
      expect(lint.ok ? [] : lint.problems.map((p) => p.path)).toEqual([c.path]);
      await expectRefused(`${GV}/namespaces/${namespace}/analysistemplates`, body, c.serverPath, c.message);
    },
  );

  it("refuse a Rollout name that cannot be a label value", async () => {
    const reply = await create(rollouts(), { ...validRollout(), metadata: { name: "r".repeat(64) } });
    expect(reply.status).toBe(422);
    expect(String(reply.body["message"])).toContain("use at most 63 characters");
  });

  it("refuse a change of workloadRef (transition rule, checked only by the API server)", async () => {
    ok(await create(rollouts(), { ...validRollout(), metadata: { name: "immutable" } }), "create");
    const patch = { spec: { workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "other" } } };
    const reply = await kube("PATCH", `${rollouts()}/immutable`, patch, MERGE);
    expect(reply.status).toBe(422);
    expect(String(reply.body["message"])).toContain("spec.workloadRef: Invalid value");
    expect(String(reply.body["message"])).toContain("workloadRef is immutable");
  });

  it("show the printer columns from status in a table GET", async () => {
    ok(await create(rollouts(), { ...validRollout(), metadata: { name: "columns" } }), "create");
    const status = {
      phase: "Progressing",
      currentStepIndex: 2,
      currentStepState: "Paused",
      trafficWeight: 50,
      message: "step 2/3: waiting for approval",
    };
    ok(await kube("PATCH", `${rollouts()}/columns/status`, { status }, MERGE), "patch status");
    const table = ok(await kube("GET", `${rollouts()}/columns`, undefined, undefined, TABLE), "table GET");
    const columns = (table["columnDefinitions"] as { name: string }[]).map((c) => c.name);
    expect(columns).toEqual(["Name", "Phase", "Step", "State", "Weight", "Message", "Workload", "Age"]);
    const cells = (table["rows"] as { cells: unknown[] }[])[0]?.cells ?? [];
    expect(cells.slice(0, 7)).toEqual(["columns", "Progressing", 2, "Paused", 50, status.message, "web"]);
  });

  it("refuse a status that does not match the status schema", async () => {
    const reply = await kube(
      "PATCH",
      `${rollouts()}/columns/status`,
      { status: { phase: "Exploded" } },
      MERGE,
    );
    expect(reply.status).toBe(422);
    expect(String(reply.body["message"])).toContain('status.phase: Unsupported value: "Exploded"');
  });

  it.each(readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml")))(
    "apply examples/%s",
    async (file) => {
      const ns = `${namespace}-${file.replace(/\.yaml$/, "")}`;
      await createNamespace(ns);
      try {
        for (const o of yamlObjects(readFileSync(join(root, "examples", file), "utf8"))) {
          // Cluster-scoped templates get a unique name so that runs never collide.
          const cluster = o["kind"] === "ClusterAnalysisTemplate";
          const obj = cluster ? { ...o, metadata: { ...meta(o), name: `${ns}-${meta(o).name}` } } : o;
          const stored = await apply(obj, ns);
          expect(meta(stored).name).toBe(meta(obj).name);
          if (String(o["apiVersion"]).startsWith(`${GROUP}/`)) expect(stored["spec"]).toEqual(o["spec"]);
          if (cluster) ok(await kube("DELETE", await pathOf(obj, undefined)), "delete cluster template");
        }
      } finally {
        await kube("DELETE", `/api/v1/namespaces/${ns}`);
      }
    },
  );
});
