// `undo`'s work: find the stable revision's pod template and write it back onto the workload.
//   Deployment: the template of its ReplicaSet whose pod-template-hash is status.stableRevision, minus that label.
//   StatefulSet / CloneSet: the template saved in the ControllerRevision of the stable revision.
import { isDeepStrictEqual } from "node:util";
import type { Rollout } from "../api/rollout.ts";
import { isApiError } from "../kube/errors.ts";
import { jsonPatch } from "../kube/patch.ts";
import {
  collectionPath,
  CONTROLLER_REVISIONS,
  objectPath,
  REPLICASETS,
  type KubeList,
  type KubeObject,
} from "../kube/resources.ts";
import type { Connection } from "./connection.ts";
import { followHint } from "./rollout-action.ts";
import { readRollout, workloadResource } from "./rollouts.ts";

type Json = Record<string, unknown>;
interface Workload extends KubeObject {
  readonly spec?: { readonly template?: Json };
}
interface TemplateHolder extends KubeObject {
  readonly spec?: { readonly template?: Json };
  readonly data?: { readonly spec?: { readonly template?: Json } };
}

const HASH_LABEL = "pod-template-hash";
const ATTEMPTS = 3;

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

/** The stable pod template, or an Error that says why it cannot be found and what to do. */
async function stableTemplate(
  conn: Connection,
  rollout: Rollout,
  workload: Workload,
  revision: string,
): Promise<Json> {
  const ref = rollout.spec.workloadRef;
  const what = `${ref.kind} ${conn.namespace}/${ref.name}`;
  if (ref.kind === "Deployment") {
    const list = await conn.client.request<KubeList<TemplateHolder>>({
      method: "GET",
      path: collectionPath(REPLICASETS, conn.namespace),
      query: { labelSelector: `${HASH_LABEL}=${revision}` },
    });
    const rs = list.items.find((r) => ownedBy(r, workload));
    const template = rs?.spec?.template;
    if (template === undefined) {
      throw new Error(
        `no ReplicaSet of ${what} has ${HASH_LABEL}=${revision} (the stable revision); it may have been ` +
          "removed by revisionHistoryLimit: set the template back by hand",
      );
    }
    return withoutHashLabel(template);
  }
  // StatefulSet revisions are named <name>-<hash>; the stable revision is that name (or, for CloneSets, the hash).
  for (const name of [revision, `${ref.name}-${revision}`]) {
    try {
      const cr = await conn.client.request<TemplateHolder>({
        method: "GET",
        path: objectPath(CONTROLLER_REVISIONS, name, conn.namespace),
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
  throw new Error(
    `no ControllerRevision of ${what} for the stable revision ${revision}: set the template back by hand`,
  );
}

/** Sets the workload of Rollout `name` back to its stable template; returns the lines to print. */
export async function revertToStable(conn: Connection, name: string): Promise<readonly string[]> {
  for (let attempt = 1; ; attempt += 1) {
    const { rollout } = await readRollout(conn, name);
    const revision = rollout.status?.stableRevision;
    if (revision === undefined || revision === "") {
      throw new Error(
        `rollout ${conn.namespace}/${name} has no stable revision in its status yet: nothing to undo`,
      );
    }
    const ref = rollout.spec.workloadRef;
    const target = { resource: workloadResource(ref), name: ref.name, namespace: conn.namespace };
    const workload = await conn.client.request<Workload>({
      method: "GET",
      path: objectPath(target.resource, ref.name, conn.namespace),
    });
    const template = await stableTemplate(conn, rollout, workload, revision);
    if (isDeepStrictEqual(workload.spec?.template, template)) {
      return [
        `${ref.kind} ${conn.namespace}/${ref.name} already runs the stable revision ${revision}: nothing to undo`,
      ];
    }
    try {
      // Conditional on the template read: one changed meanwhile is never overwritten blindly. (Not on
      // resourceVersion: the workload's status moves it every few seconds during a release.)
      await jsonPatch(
        conn.client,
        target,
        [
          { op: "test", path: "/spec/template", value: workload.spec?.template ?? null },
          { op: "replace", path: "/spec/template", value: template },
        ],
        { fieldManager: "kubectl-slipway" },
      );
    } catch (err) {
      // A failed `test` comes back as 422 with a generic message; re-read and decide again.
      const lostRace = isApiError(err) && (err.status === 409 || err.status === 422);
      if (!lostRace) throw err;
      if (attempt < ATTEMPTS) continue;
      throw new Error(
        `the pod template of ${ref.kind} ${conn.namespace}/${ref.name} kept changing while undo ran; run it again`,
        { cause: err },
      );
    }
    return [
      `${ref.kind} ${conn.namespace}/${ref.name}: pod template set back to the stable revision ${revision}; ` +
        "the release ends as rolled back",
      followHint(conn, name),
    ];
  }
}
