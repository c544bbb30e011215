// Setting a workload's pod template back to its stable revision: what `kubectl slipway undo` does, and what
// the controller does when a Rollout whose release was aborted is deleted or disabled (see
// docs/decisions/delete-aborted-release.md).
//   Deployment: the template of its ReplicaSet whose pod-template-hash is the stable revision, minus that label.
//   StatefulSet / CloneSet: the template saved in the ControllerRevision of the stable revision.
import { isDeepStrictEqual } from "node:util";
import type { KubeClient } from "../../kube/client.ts";
import { isApiError } from "../../kube/errors.ts";
import { jsonPatch } from "../../kube/patch.ts";
import {
  CLONESETS,
  collectionPath,
  CONTROLLER_REVISIONS,
  DEPLOYMENTS,
  objectPath,
  REPLICASETS,
  STATEFULSETS,
  type KubeList,
  type KubeObject,
  type ResourceRef,
} from "../../kube/resources.ts";
import type { WorkloadKind } from "../types.ts";

type Json = Record<string, unknown>;
interface TemplateHolder extends KubeObject {
  readonly spec?: { readonly template?: Json };
  readonly data?: { readonly spec?: { readonly template?: Json } };
}

export interface RevertTarget {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly namespace: string;
}

export type RevertResult =
  /** The template was written back; the workload's controller takes it from here. */
  | { readonly kind: "reverted" }
  /** The workload already runs the stable template. */
  | { readonly kind: "unchanged" }
  /** The template changed between the read and the write (never overwritten blindly): re-read and decide again. */
  | { readonly kind: "raced"; readonly cause: unknown }
  /** The stable template cannot be found; the message says why and what to do. */
  | { readonly kind: "problem"; readonly message: string };

const HASH_LABEL = "pod-template-hash";

export function workloadResource(kind: WorkloadKind): ResourceRef {
  switch (kind) {
    case "Deployment":
      return DEPLOYMENTS;
    case "StatefulSet":
      return STATEFULSETS;
    case "CloneSet":
      return CLONESETS;
  }
}

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  const refs = obj.metadata?.["ownerReferences"];
  return Array.isArray(refs) && refs.some((r: { uid?: unknown }) => r.uid === owner.metadata?.uid);
}

function withoutHashLabel(template: Json): Json {
  const metadata = (template["metadata"] ?? {}) as Json;
  const labels = { ...((metadata["labels"] ?? {}) as Record<string, string>) };
  delete labels[HASH_LABEL];
  return { ...template, metadata: { ...metadata, labels } };
}

/** The stable pod template, or a problem that says why it cannot be found and what to do. */
export async function stableTemplate(
  client: KubeClient,
  target: RevertTarget,
  workload: KubeObject,
  revision: string,
): Promise<Json | { readonly problem: string }> {
  const what = `${target.kind} ${target.namespace}/${target.name}`;
  if (target.kind === "Deployment") {
    const list = await client.request<KubeList<TemplateHolder>>({
      method: "GET",
      path: collectionPath(REPLICASETS, target.namespace),
      query: { labelSelector: `${HASH_LABEL}=${revision}` },
    });
    const template = list.items.find((r) => ownedBy(r, workload))?.spec?.template;
    if (template === undefined) {
      return {
        problem:
          `no ReplicaSet of ${what} has ${HASH_LABEL}=${revision} (the stable revision); it may have been ` +
          "removed by revisionHistoryLimit: set the template back by hand",
      };
    }
    return withoutHashLabel(template);
  }
  // StatefulSet revisions are named <name>-<hash>; the stable revision is that name (or, for CloneSets, the hash).
  for (const name of [revision, `${target.name}-${revision}`]) {
    try {
      const cr = await client.request<TemplateHolder>({
        method: "GET",
        path: objectPath(CONTROLLER_REVISIONS, name, target.namespace),
      });
      const template = cr.data?.spec?.template;
      if (template !== undefined && ownedBy(cr, workload)) {
        const { $patch: _directive, ...plain } = template;
        return plain;
      }
    } catch (err) {
      if (!isApiError(err) || err.status !== 404) throw err;
    }
  }
  return {
    problem: `no ControllerRevision of ${what} for the stable revision ${revision}: set the template back by hand`,
  };
}

/**
 * Writes the stable revision's template onto the workload, conditional on the template read (one changed
 * meanwhile is never overwritten; not on resourceVersion: the workload's status moves it every few seconds
 * during a release). API errors other than a lost race are thrown (a missing workload: 404).
 */
export async function revertToStableTemplate(
  client: KubeClient,
  target: RevertTarget,
  revision: string,
  fieldManager: string,
): Promise<RevertResult> {
  const resource = {
    resource: workloadResource(target.kind),
    name: target.name,
    namespace: target.namespace,
  };
  const workload = await client.request<TemplateHolder>({
    method: "GET",
    path: objectPath(resource.resource, target.name, target.namespace),
  });
  const template = await stableTemplate(client, target, workload, revision);
  if ("problem" in template) return { kind: "problem", message: String(template.problem) };
  if (isDeepStrictEqual(workload.spec?.template, template)) return { kind: "unchanged" };
  try {
    await jsonPatch(
      client,
      resource,
      [
        { op: "test", path: "/spec/template", value: workload.spec?.template ?? null },
        { op: "replace", path: "/spec/template", value: template },
      ],
      { fieldManager },
    );
  } catch (err) {
    // A failed `test` comes back as 422 with a generic message.
    if (isApiError(err) && (err.status === 409 || err.status === 422)) return { kind: "raced", cause: err };
    throw err;
  }
  return { kind: "reverted" };
}
