// Apply manifests the way `kubectl apply --server-side` does.
import type { KubernetesObject } from "@kubernetes/client-node";
import { KubeClient, SharedConnectionKubeConfig } from "../../../src/kube/client.ts";
import { APPLY_PATCH } from "../../../src/kube/patch.ts";
import { parseAllDocuments } from "yaml";
import { kubeConfig } from "./clients.ts";
import type { Identity } from "./clients.ts";
import type { KubeConfig } from "@kubernetes/client-node";

function kubeConfigFrom(kc: KubeConfig): SharedConnectionKubeConfig {
  const shared = new SharedConnectionKubeConfig();
  shared.loadFromString(kc.exportConfig());
  return shared;
}

export const E2E_FIELD_MANAGER = "slipway-e2e";

export interface ApplyOptions {
  /** Set on namespaced objects that have no namespace. */
  readonly namespace?: string;
  readonly as?: Identity;
  readonly fieldManager?: string;
}

/** Parses a multi-document YAML string; empty documents are skipped. */
export function parseYaml(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0)
        throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      return doc.toJS() as KubernetesObject | null;
    })
    .filter((o): o is KubernetesObject => o !== null && typeof o === "object");
}

interface ApiResourceList {
  readonly resources: readonly {
    readonly name: string;
    readonly kind: string;
    readonly namespaced: boolean;
  }[];
}

/** Finds the resource path of a kind through discovery (not cached: CRDs appear between calls). */
async function resourcePath(client: KubeClient, obj: KubernetesObject, namespace?: string): Promise<string> {
  const apiVersion = obj.apiVersion ?? "";
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const list = await client.request<ApiResourceList>({ method: "GET", path: base });
  const resource = list.resources.find((r) => r.kind === obj.kind && !r.name.includes("/"));
  if (resource === undefined) throw new Error(`the API server does not serve ${obj.kind} in ${apiVersion}`);
  const name = encodeURIComponent(obj.metadata?.name ?? "");
  if (!resource.namespaced) return `${base}/${resource.name}/${name}`;
  if (!namespace) throw new Error(`${obj.kind} ${obj.metadata?.name} needs a namespace`);
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.name}/${name}`;
}

/**
 * Server-side applies every object (creates or updates; conflicts are forced, as the test owns the
 * objects). Returns the objects as stored. Cluster-scoped kinds ignore `namespace`. Raw JSON is sent as
 * written: client-node's typed serializer would drop CRD schema extensions such as
 * `x-kubernetes-int-or-string`.
 */
export async function applyYaml(
  manifests: string | KubernetesObject | readonly KubernetesObject[],
  options: ApplyOptions = {},
): Promise<KubernetesObject[]> {
  const objects =
    typeof manifests === "string"
      ? parseYaml(manifests)
      : Array.isArray(manifests)
        ? [...manifests]
        : [manifests];
  const client = new KubeClient(kubeConfigFrom(kubeConfig(options.as ?? "admin")));
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new Error(
        `cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(obj)}`,
      );
    }
    const namespace = obj.metadata.namespace ?? options.namespace;
    try {
      const path = await resourcePath(client, obj, namespace);
      const body =
        namespace && !obj.metadata.namespace ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
      applied.push(
        await client.request<KubernetesObject>({
          method: "PATCH",
          path,
          query: { fieldManager: options.fieldManager ?? E2E_FIELD_MANAGER, force: true },
          body,
          contentType: APPLY_PATCH,
        }),
      );
    } catch (err) {
      throw new Error(
        `applying ${obj.kind} ${namespace ?? ""}/${obj.metadata.name} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return applied;
}
