// The generated CRDs on a real API server: they install, valid objects round-trip unchanged, invalid
// ones are refused BY THE API SERVER with the field path (the same documents `slipway lint` refuses),
// printer columns and discovery names show, and the examples apply.
//
// Uses a minimal client on KUBECONFIG; when the cluster harness (test/e2e/lib) lands, the lead may swap
// these helpers for it.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { RULES } from "../../src/api/cel-rules.ts";
import { GROUP, PLURAL_CLUSTER_ANALYSIS_TEMPLATES, PLURAL_ROLLOUTS, VERSION } from "../../src/api/names.ts";
import { parseAnalysisTemplate, parseRollout } from "../../src/api/parse.ts";
import { validRollout, validTemplate } from "../../src/api/testdata/fixtures.ts";
import {
  ROLLOUT_REJECTS,
  TEMPLATE_REJECTS,
  rolloutWith,
  templateWith,
  type RejectCase,
} from "../../src/api/testdata/reject-cases.ts";

const root = join(import.meta.dirname, "..", "..");
const kc = new KubeConfig();
kc.loadFromDefault();
const custom = kc.makeApiClient(CustomObjectsApi);
const crds = kc.makeApiClient(ApiextensionsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const namespace = `api-crds-${randomBytes(3).toString("hex")}`;
const ruleMessages = Object.values(RULES).flatMap((rules) => rules.map((r) => r.message));

function yamlObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text, { version: "1.1" })
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

async function apply(objects: readonly KubernetesObject[], ns?: string): Promise<void> {
  // A new client per call: its discovery cache would not know CRDs installed in between.
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    const body =
      ns && !obj.metadata?.namespace ? { ...obj, metadata: { ...obj.metadata, namespace: ns } } : obj;
    await api.patch(body, undefined, undefined, "slipway-e2e", true, PatchStrategy.ServerSideApply);
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last error: ${String(last)}`);
}

async function established(name: string): Promise<void> {
  await waitUntil(`CRD ${name} Established`, async () => {
    const crd = await crds.readCustomResourceDefinition({ name });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
  });
}

/** The API server's refusal of `body`: HTTP code and message (fails the test if it was accepted). */
async function refusal(
  body: Record<string, unknown>,
  plural: string,
): Promise<{ code: number; message: string }> {
  try {
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural,
      body,
      fieldValidation: "Strict",
    });
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const parsed = JSON.parse(String(err.body)) as { message?: string };
    return { code: err.code, message: parsed.message ?? String(err.body) };
  }
  throw new Error(`the API server accepted ${JSON.stringify(body)}`);
}

beforeAll(async () => {
  const installed = await crds.listCustomResourceDefinition();
  const istio = installed.items.some((c) => c.spec.group === "networking.istio.io");
  const files = readdirSync(join(root, "crds")).map((f) => join(root, "crds", f));
  if (!istio) files.push(join(root, "test/e2e/fixtures/istio-minimal-crds.yaml"));
  const objects = files.flatMap((f) => yamlObjects(readFileSync(f, "utf8")));
  await apply(objects);
  for (const o of objects) await established(o.metadata?.name ?? "");
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { "slipway.dev/e2e": "true" } } },
  });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe("generated CRDs on the API server", () => {
  it("install and are established, with categories and short names in discovery", async () => {
    const resources = await custom.getAPIResources({ group: GROUP, version: VERSION });
    const byName = new Map(resources.resources.map((r) => [r.name, r]));
    expect(byName.get(PLURAL_ROLLOUTS)).toMatchObject({
      namespaced: true,
      shortNames: ["sro"],
      categories: ["slipway"],
    });
    expect(byName.get("analysistemplates")).toMatchObject({ namespaced: true, shortNames: ["sat"] });
    expect(byName.get(PLURAL_CLUSTER_ANALYSIS_TEMPLATES)).toMatchObject({
      namespaced: false,
      shortNames: ["scat"],
    });
    expect(byName.has(`${PLURAL_ROLLOUTS}/status`)).toBe(true);
  });

  it("accept a valid Rollout and store its spec unchanged (nothing pruned)", async () => {
    const body = validRollout();
    expect(parseRollout(body).ok).toBe(true);
    const stored = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL_ROLLOUTS,
      body,
      fieldValidation: "Strict",
    })) as { spec: unknown };
    expect(stored.spec).toEqual(body.spec);
  });

  it("accept valid AnalysisTemplate and ClusterAnalysisTemplate objects unchanged", async () => {
    const t = validTemplate();
    const stored = (await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "analysistemplates",
      body: t,
      fieldValidation: "Strict",
    })) as { spec: unknown };
    expect(stored.spec).toEqual(t.spec);
    const ct = validTemplate("ClusterAnalysisTemplate");
    const name = `${namespace}-gate`;
    ct.metadata = { name };
    try {
      const cluster = (await custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
        body: ct,
        fieldValidation: "Strict",
      })) as { spec: unknown };
      expect(cluster.spec).toEqual(ct.spec);
    } finally {
      await custom.deleteClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
        name,
      });
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

  it.each(serverCases(ROLLOUT_REJECTS))(
    "refuse a Rollout with $name at $serverPath (and lint agrees)",
    async (c) => {
      const body = rolloutWith(c.mutate);
      body["metadata"] = { name: `bad-${randomBytes(3).toString("hex")}` };
      const lint = parseRollout(body);
      expect(lint.ok ? [] : lint.problems.map((p) => p.path)).toEqual([c.path]);
      const { code, message } = await refusal(body, PLURAL_ROLLOUTS);
      expect([400, 422]).toContain(code);
      expect(message).toContain(c.serverPath);
      if (ruleMessages.some((m) => m.includes(c.message))) expect(message).toContain(c.message);
    },
  );

  it.each(serverCases(TEMPLATE_REJECTS))(
    "refuse an AnalysisTemplate with $name at $serverPath",
    async (c) => {
      const body = templateWith(c.mutate);
      body["metadata"] = { name: `bad-${randomBytes(3).toString("hex")}` };
      expect(parseAnalysisTemplate(body).ok).toBe(false);
      const { code, message } = await refusal(body, "analysistemplates");
      expect([400, 422]).toContain(code);
      expect(message).toContain(c.serverPath);
      if (ruleMessages.some((m) => m.includes(c.message))) expect(message).toContain(c.message);
    },
  );

  it("refuse a Rollout name that cannot be a label value", async () => {
    const body = { ...validRollout(), metadata: { name: "r".repeat(64) } };
    const { message } = await refusal(body, PLURAL_ROLLOUTS);
    expect(message).toContain("use at most 63 characters");
  });

  it("refuse a change of workloadRef (transition rule, checked only by the API server)", async () => {
    const name = "immutable";
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL_ROLLOUTS,
      body: { ...validRollout(), metadata: { name } },
    });
    const patch = { spec: { workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "other" } } };
    const err = await custom
      .patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace, plural: PLURAL_ROLLOUTS, name, body: patch },
        setHeaderOptions("Content-Type", "application/merge-patch+json"),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiException);
    expect(String((err as ApiException<string>).body)).toContain("spec.workloadRef: Invalid value");
    expect(String((err as ApiException<string>).body)).toContain("workloadRef is immutable");
  });

  it("show the printer columns from status in a table GET", async () => {
    const name = "columns";
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL_ROLLOUTS,
      body: { ...validRollout(), metadata: { name } },
    });
    const status = {
      status: {
        phase: "Progressing",
        currentStepIndex: 2,
        currentStepState: "Paused",
        trafficWeight: 50,
        message: "step 2/3: waiting for approval",
      },
    };
    await custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL_ROLLOUTS, name, body: status },
      setHeaderOptions("Content-Type", "application/merge-patch+json"),
    );
    const table = (await custom.getNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL_ROLLOUTS, name },
      setHeaderOptions("Accept", "application/json;as=Table;g=meta.k8s.io;v=v1"),
    )) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    const columns = table.columnDefinitions.map((c) => c.name);
    expect(columns).toEqual(["Name", "Phase", "Step", "State", "Weight", "Message", "Workload", "Age"]);
    expect(table.rows[0]?.cells.slice(0, 7)).toEqual([
      "columns",
      "Progressing",
      2,
      "Paused",
      50,
      "step 2/3: waiting for approval",
      "web",
    ]);
  });

  it("refuse a status that does not match the status schema", async () => {
    const err = await custom
      .patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURAL_ROLLOUTS,
          name: "columns",
          body: { status: { phase: "Exploded" } },
        },
        setHeaderOptions("Content-Type", "application/merge-patch+json"),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String((err as ApiException<string>).body)).toContain(
      'status.phase: Unsupported value: "Exploded"',
    );
  });

  it.each(readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml")))(
    "apply examples/%s",
    async (file) => {
      const objects = yamlObjects(readFileSync(join(root, "examples", file), "utf8"));
      const ns = `${namespace}-${file.replace(/\.yaml$/, "")}`;
      await core
        .createNamespace({ body: { metadata: { name: ns, labels: { "slipway.dev/e2e": "true" } } } })
        .catch(() => undefined);
      try {
        // Cluster-scoped templates get a unique name so parallel runs never collide.
        const renamed = objects.map((o) =>
          o.kind === "ClusterAnalysisTemplate"
            ? { ...o, metadata: { ...o.metadata, name: `${ns}-${o.metadata?.name}` } }
            : o,
        );
        await apply(renamed, ns);
        const api = KubernetesObjectApi.makeApiClient(kc);
        for (const o of renamed) {
          const stored = await api.read({
            apiVersion: o.apiVersion,
            kind: o.kind,
            metadata: {
              name: o.metadata?.name ?? "",
              namespace: o.kind === "ClusterAnalysisTemplate" ? undefined : ns,
            },
          });
          expect(stored.metadata?.uid).toBeTruthy();
          if (o.apiVersion?.startsWith(`${GROUP}/`))
            expect((stored as { spec?: unknown }).spec).toEqual((o as { spec?: unknown }).spec);
        }
        for (const o of renamed.filter((o) => o.kind === "ClusterAnalysisTemplate")) {
          await custom.deleteClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
            name: o.metadata?.name ?? "",
          });
        }
      } finally {
        await core.deleteNamespace({ name: ns }).catch(() => undefined);
      }
    },
  );
});
