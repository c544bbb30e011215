// WorkloadIO (src/workloads) backed by src/kube: reads from the informer caches (no GET or LIST on the hot
// path), writes to the API server with the preconditions each Write carries.
import type { KubeClient } from "../../kube/client.ts";
import { isAlreadyExists, isConflict, isNotFound, toApiError } from "../../kube/errors.ts";
import type { Informer } from "../../kube/informer.ts";
import { jsonPatch, jsonPointer, mergePatch, type JsonPatchOp } from "../../kube/patch.ts";
import {
  CLONESETS,
  collectionPath,
  CONTROLLER_REVISIONS,
  DEPLOYMENTS,
  objectPath,
  PODS,
  REPLICASETS,
  SERVICES,
  STATEFULSETS,
  type KubeList,
  type KubeObject,
  type ResourceRef,
} from "../../kube/resources.ts";
import type { ListQuery, WorkloadIO, WriteResult } from "../../workloads/io.ts";
import type { KubeObject as WorkloadObject, ObjectRef } from "../../workloads/types.ts";
import { matchesSelector, parseSelector } from "./selector.ts";

const RESOURCES: ReadonlyMap<string, ResourceRef> = new Map([
  ["apps/v1/Deployment", DEPLOYMENTS],
  ["apps/v1/ReplicaSet", REPLICASETS],
  ["apps/v1/StatefulSet", STATEFULSETS],
  ["apps.kruise.io/v1alpha1/CloneSet", CLONESETS],
  ["apps/v1/ControllerRevision", CONTROLLER_REVISIONS],
  ["v1/Pod", PODS],
  ["v1/Service", SERVICES],
]);

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

export function resourceFor(apiVersion: string, kind: string): ResourceRef {
  const resource = RESOURCES.get(kindKey(apiVersion, kind));
  if (resource === undefined)
    throw new Error(`Slipway does not know where ${kind} (${apiVersion}) lives on the API server`);
  return resource;
}

/** Counts API writes (for the bench and the "writes per step" figure). */
export interface WriteCounter {
  write(verb: "patch" | "create" | "delete", kind: string, name: string): void;
}

export class CachedWorkloadIO implements WorkloadIO {
  readonly #client: KubeClient;
  readonly #caches: ReadonlyMap<string, Informer<KubeObject>>;
  readonly #counter: WriteCounter | undefined;

  constructor(client: KubeClient, caches: ReadonlyMap<string, Informer<KubeObject>>, counter?: WriteCounter) {
    this.#client = client;
    this.#caches = caches;
    this.#counter = counter;
  }

  async get(ref: ObjectRef): Promise<WorkloadObject | undefined> {
    const cache = this.#caches.get(kindKey(ref.apiVersion, ref.kind));
    if (cache !== undefined)
      return cache.store.getByName(ref.namespace, ref.name) as WorkloadObject | undefined;
    try {
      return await this.#client.request<WorkloadObject>({
        method: "GET",
        path: objectPath(resourceFor(ref.apiVersion, ref.kind), ref.name, ref.namespace),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(query: ListQuery): Promise<readonly WorkloadObject[]> {
    const cache = this.#caches.get(kindKey(query.apiVersion, query.kind));
    if (cache !== undefined) {
      const requirements = parseSelector(query.labelSelector);
      return cache.store
        .list(query.namespace)
        .filter((o) => matchesSelector(requirements, o.metadata?.labels)) as WorkloadObject[];
    }
    const list = await this.#client.request<KubeList>({
      method: "GET",
      path: collectionPath(resourceFor(query.apiVersion, query.kind), query.namespace),
      query: { labelSelector: query.labelSelector },
    });
    return list.items as WorkloadObject[];
  }

  async patch(
    ref: ObjectRef,
    patch: Readonly<Record<string, unknown>>,
    resourceVersion: string,
    unchanged?: Readonly<Record<string, unknown>>,
  ): Promise<WriteResult> {
    this.#counter?.write("patch", ref.kind, ref.name);
    const target = {
      resource: resourceFor(ref.apiVersion, ref.kind),
      name: ref.name,
      namespace: ref.namespace,
    };
    if (unchanged !== undefined) {
      // No resourceVersion: the API server re-applies the patch to the newest object (its own retry on a
      // concurrent status update), and the `test` ops hold it to the fields the write was computed from.
      return guarded(() => jsonPatch(this.#client, target, guardedPatch(patch, unchanged)));
    }
    const metadata = { ...(patch["metadata"] as Record<string, unknown> | undefined), resourceVersion };
    return outcome(() =>
      mergePatch(
        this.#client,
        { resource: resourceFor(ref.apiVersion, ref.kind), name: ref.name, namespace: ref.namespace },
        {
          ...patch,
          metadata,
        },
      ),
    );
  }

  async create(ref: ObjectRef, object: WorkloadObject): Promise<WriteResult> {
    this.#counter?.write("create", ref.kind, ref.name);
    return outcome(() =>
      this.#client.request({
        method: "POST",
        path: collectionPath(resourceFor(ref.apiVersion, ref.kind), ref.namespace),
        query: { fieldManager: "slipway" },
        body: object,
      }),
    );
  }

  async delete(
    ref: ObjectRef,
    preconditions: { uid: string; resourceVersion: string },
  ): Promise<WriteResult> {
    this.#counter?.write("delete", ref.kind, ref.name);
    return outcome(() =>
      this.#client.request({
        method: "DELETE",
        path: objectPath(resourceFor(ref.apiVersion, ref.kind), ref.name, ref.namespace),
        body: { apiVersion: "v1", kind: "DeleteOptions", preconditions, propagationPolicy: "Background" },
      }),
    );
  }
}

/**
 * A merge patch as JSON Patch ops behind `test` ops on `unchanged`. Only for patches whose objects all exist
 * in the target (`add` replaces a member, `null` removes one), which is what the guarded writes send.
 */
export function guardedPatch(
  patch: Readonly<Record<string, unknown>>,
  unchanged: Readonly<Record<string, unknown>>,
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = Object.entries(unchanged).map(([path, value]) => ({ op: "test", path, value }));
  const walk = (node: Readonly<Record<string, unknown>>, at: readonly string[]) => {
    for (const [key, value] of Object.entries(node)) {
      const path = [...at, key];
      if (value === null) ops.push({ op: "remove", path: jsonPointer(...path) });
      else if (typeof value === "object" && !Array.isArray(value))
        walk(value as Record<string, unknown>, path);
      else ops.push({ op: "add", path: jsonPointer(...path), value });
    }
  };
  walk(patch, []);
  return ops;
}

/**
 * A failed `test` op answers 422 Invalid without field causes (a validation error names its fields): that
 * is the guarded write's conflict.
 */
async function guarded(send: () => Promise<unknown>): Promise<WriteResult> {
  try {
    return await outcome(send);
  } catch (err) {
    const api = toApiError(err, "patch", "");
    if (api.status === 422 && api.causes.length === 0)
      return { ok: false, reason: "conflict", message: api.message };
    throw err;
  }
}

/** Expected outcomes of a write become values; anything else stays an error (the step retries it). */
async function outcome(send: () => Promise<unknown>): Promise<WriteResult> {
  try {
    await send();
    return { ok: true };
  } catch (err) {
    if (isConflict(err)) return { ok: false, reason: "conflict", message: errorMessage(err) };
    if (isAlreadyExists(err)) return { ok: false, reason: "already-exists", message: errorMessage(err) };
    if (isNotFound(err)) return { ok: false, reason: "not-found", message: errorMessage(err) };
    // A delete whose uid/resourceVersion precondition failed answers 409 too; anything else is real.
    const api = toApiError(err, "write", "");
    if (api.status === 422 && /precondition/i.test(api.serverMessage)) {
      return { ok: false, reason: "conflict", message: api.message };
    }
    throw err;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
