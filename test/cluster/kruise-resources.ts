// The API objects OpenKruise's manager needs, read from the kruise module's own files (config/ in the
// module zip from the Go module proxy) and given the names its kustomize overlay gives them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { httpsRequest } from "./http.ts";
import type { TlsIdentity } from "./http.ts";
import { done, notYet, waitFor } from "./wait.ts";

export const KRUISE_NAMESPACE = "kruise-system";
/** The client-certificate user kruise-manager runs as; bound to the module's manager ClusterRole. */
export const KRUISE_USER = "kruise-manager";
/** The names kruise-manager looks up and patches (config/default adds the "kruise-" prefix). */
export const KRUISE_WEBHOOK_CONFIGURATIONS = {
  mutating: "kruise-mutating-webhook-configuration",
  validating: "kruise-validating-webhook-configuration",
} as const;
/**
 * Every CRD of config/crd/bases, as a kruise install has them. With only some of them kruise-manager
 * either fails to start (it registers a field index on ImagePullJob unconditionally) or spends ~17 s per
 * missing kind in discovery retries before it sets up the next controller (CloneSet's came ~35 s late).
 * The controllers of the extra kinds stay idle: nothing creates their objects, and the ones that need
 * kruise-daemon or the pod webhook are off by feature gate (see kruise.ts).
 */
export function kruiseCrdFiles(moduleDir: string): string[] {
  const dir = join(moduleDir, "config", "crd", "bases");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

const PREFIX = "kruise-";
const FIELD_MANAGER = "slipway-cluster";

type Obj = Record<string, unknown>;
type Webhook = Obj & { readonly name: string; clientConfig?: { service?: Obj } };

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function yamlDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJSON() as unknown)
    .filter(isObj);
}

function metadataName(obj: Obj): string {
  const name = isObj(obj["metadata"]) ? obj["metadata"]["name"] : undefined;
  if (typeof name !== "string") throw new Error(`a ${String(obj["kind"])} in the kruise module has no name`);
  return name;
}

function webhooksOf(obj: Obj): Webhook[] {
  const list = obj["webhooks"];
  return Array.isArray(list)
    ? list.filter((w): w is Webhook => isObj(w) && typeof w["name"] === "string")
    : [];
}

export function kruiseCrds(moduleDir: string): Obj[] {
  return kruiseCrdFiles(moduleDir).flatMap(yamlDocs);
}

/** config/rbac/role.yaml's ClusterRole, bound to the user kruise-manager authenticates as. */
export function kruiseRbac(moduleDir: string): Obj[] {
  const role = yamlDocs(join(moduleDir, "config", "rbac", "role.yaml")).find(
    (d) => d["kind"] === "ClusterRole",
  );
  if (role === undefined) throw new Error(`${moduleDir}/config/rbac/role.yaml has no ClusterRole`);
  const roleName = PREFIX + metadataName(role);
  return [
    { ...role, metadata: { name: roleName } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: roleName },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: KRUISE_USER }],
    },
  ];
}

/**
 * config/webhook/manifests.yaml with patch_manifests.yaml's selectors merged in, named and namespaced as
 * kustomize would. They still point at a Service: kruise-manager rewrites every webhook it serves to
 * `url: https://$WEBHOOK_HOST:$WEBHOOK_PORT/<path>` with its own CA, and drops the ones it does not serve.
 */
export function kruiseWebhookConfigurations(moduleDir: string): Obj[] {
  const dir = join(moduleDir, "config", "webhook");
  const patches = new Map(
    yamlDocs(join(dir, "patch_manifests.yaml")).flatMap((d) => webhooksOf(d).map((w) => [w.name, w])),
  );
  return yamlDocs(join(dir, "manifests.yaml")).map((config) => ({
    ...config,
    metadata: { name: PREFIX + metadataName(config) },
    webhooks: webhooksOf(config).map((w) => {
      const service = w.clientConfig?.service;
      const clientConfig = isObj(service)
        ? {
            ...w.clientConfig,
            service: { ...service, namespace: KRUISE_NAMESPACE, name: `${PREFIX}${String(service["name"])}` },
          }
        : w.clientConfig;
      return { ...w, ...patches.get(w.name), clientConfig };
    }),
  }));
}

function resourcePath(obj: Obj): string {
  const name = metadataName(obj);
  switch (obj["kind"]) {
    case "CustomResourceDefinition":
      return `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    case "ClusterRole":
      return `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`;
    case "ClusterRoleBinding":
      return `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`;
    case "MutatingWebhookConfiguration":
      return `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`;
    case "ValidatingWebhookConfiguration":
      return `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`;
    case "Namespace":
      return `/api/v1/namespaces/${name}`;
    default:
      throw new Error(`kruise-resources: no API path for kind ${String(obj["kind"])}`);
  }
}

async function serverSideApply(server: string, tls: TlsIdentity, obj: Obj): Promise<void> {
  const url = `${server}${resourcePath(obj)}?fieldManager=${FIELD_MANAGER}&force=true`;
  const res = await httpsRequest(url, tls, "PATCH", obj, 15_000, "application/apply-patch+yaml");
  if (res.status !== 200 && res.status !== 201)
    throw new Error(
      `applying ${String(obj["kind"])} ${metadataName(obj)} failed: HTTP ${res.status} ${res.body}`,
    );
}

/** Creates `obj` unless it exists (kruise-manager owns the webhook configurations once it ran). */
async function createIfAbsent(server: string, tls: TlsIdentity, obj: Obj): Promise<void> {
  const path = resourcePath(obj);
  const res = await httpsRequest(
    `${server}${path.slice(0, path.lastIndexOf("/"))}`,
    tls,
    "POST",
    obj,
    15_000,
  );
  if (res.status !== 201 && res.status !== 409)
    throw new Error(
      `creating ${String(obj["kind"])} ${metadataName(obj)} failed: HTTP ${res.status} ${res.body}`,
    );
}

/** Namespace, CRDs (waited for Established), RBAC and the webhook configurations kruise-manager patches. */
export async function installKruiseResources(
  server: string,
  tls: TlsIdentity,
  moduleDir: string,
): Promise<void> {
  await serverSideApply(server, tls, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: KRUISE_NAMESPACE },
  });
  const crds = kruiseCrds(moduleDir);
  for (const obj of [...crds, ...kruiseRbac(moduleDir)]) await serverSideApply(server, tls, obj);
  for (const obj of kruiseWebhookConfigurations(moduleDir)) await createIfAbsent(server, tls, obj);
  for (const crd of crds) {
    await waitFor(
      `CRD ${metadataName(crd)} Established`,
      async () => {
        const res = await httpsRequest(`${server}${resourcePath(crd)}`, tls);
        const conditions = (
          JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } }
        ).status?.conditions;
        const established = conditions?.find((c) => c.type === "Established")?.status === "True";
        return established ? done(undefined) : notYet(conditions ?? res.status);
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }
}
