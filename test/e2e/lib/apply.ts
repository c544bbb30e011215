// Apply manifests the way `kubectl apply --server-side` does.
import type { KubernetesObject } from "@kubernetes/client-node";
import { KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { kubeConfig } from "./clients.ts";
import type { Identity } from "./clients.ts";

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

/**
 * Server-side applies every object (creates or updates; conflicts are forced, as the test owns the
 * objects). Returns the objects as stored. Cluster-scoped kinds ignore `namespace`.
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
  // A new client per call: its discovery cache would not know CRDs applied by an earlier call.
  const api = KubernetesObjectApi.makeApiClient(kubeConfig(options.as ?? "admin"));
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new Error(
        `cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(obj)}`,
      );
    }
    const withNs =
      options.namespace && !obj.metadata.namespace
        ? { ...obj, metadata: { ...obj.metadata, namespace: options.namespace } }
        : obj;
    try {
      applied.push(
        await api.patch(
          withNs,
          undefined,
          undefined,
          options.fieldManager ?? E2E_FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
      );
    } catch (err) {
      const body = typeof err === "object" && err !== null && "body" in err ? String(err.body) : "";
      throw new Error(
        `applying ${obj.kind} ${withNs.metadata?.namespace ?? ""}/${obj.metadata.name} failed: ${(err as Error).message} ${body}`,
        { cause: err },
      );
    }
  }
  return applied;
}
