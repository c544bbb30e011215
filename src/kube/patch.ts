// Writes with a chosen patch type, and status writes that carry the resourceVersion they were
// computed from. A lost race surfaces as ConflictError: re-read, recompute, try again — never a blind
// overwrite.

import type { ApiTransport, QueryValue } from "./client.ts";
import { objectPath } from "./resources.ts";
import type { KubeObject, ResourceRef } from "./resources.ts";

export const MERGE_PATCH = "application/merge-patch+json";
export const JSON_PATCH = "application/json-patch+json";
export const STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
export const APPLY_PATCH = "application/apply-patch+yaml";

export const DEFAULT_FIELD_MANAGER = "slipway";

/** One object (or its status/scale subresource) on the API server. */
export interface ObjectTarget {
  readonly resource: ResourceRef;
  readonly name: string;
  readonly namespace?: string;
}

export interface WriteOptions {
  readonly fieldManager?: string;
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

export type JsonPatchOp =
  | { readonly op: "add" | "replace" | "test"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "move" | "copy"; readonly from: string; readonly path: string };

/** Built-in API groups, the only ones that understand strategic merge patch. */
const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  "",
  "apps",
  "batch",
  "autoscaling",
  "policy",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "events.k8s.io",
  "storage.k8s.io",
  "scheduling.k8s.io",
  "node.k8s.io",
  "certificates.k8s.io",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "apiregistration.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "resource.k8s.io",
]);

/** Escapes one path segment for a JSON pointer (`a/b` → `a~1b`), e.g. for annotation keys. */
export function escapeJsonPointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** `/metadata/annotations/rollouts.slipway.dev~1approve` from its segments. */
export function jsonPointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapeJsonPointer(String(s))}`).join("");
}

function query(options: WriteOptions, extra: Record<string, QueryValue> = {}): Record<string, QueryValue> {
  return {
    fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
    dryRun: options.dryRun === true ? "All" : undefined,
    ...extra,
  };
}

function path(target: ObjectTarget, subresource?: "status" | "scale"): string {
  return objectPath(target.resource, target.name, target.namespace, subresource);
}

type PatchOptions = WriteOptions & { readonly subresource?: "status" | "scale" };

function sendPatch<T>(
  transport: ApiTransport,
  target: ObjectTarget,
  body: unknown,
  contentType: string,
  options: PatchOptions,
  extraQuery: Record<string, QueryValue> = {},
): Promise<T> {
  return transport.request<T>({
    method: "PATCH",
    path: path(target, options.subresource),
    query: query(options, extraQuery),
    body,
    contentType,
    signal: options.signal,
  });
}

/**
 * RFC 7386 merge patch (works for every kind, CRs included). Lists are replaced whole; `null`
 * deletes a field. Put `metadata.resourceVersion` in the patch to make it conditional.
 */
export function mergePatch<T extends KubeObject>(
  transport: ApiTransport,
  target: ObjectTarget,
  patch: Record<string, unknown>,
  options: PatchOptions = {},
): Promise<T> {
  return sendPatch<T>(transport, target, patch, MERGE_PATCH, options);
}

/** RFC 6902 JSON patch; a `test` op makes the whole patch conditional on a field's value. */
export function jsonPatch<T extends KubeObject>(
  transport: ApiTransport,
  target: ObjectTarget,
  ops: readonly JsonPatchOp[],
  options: PatchOptions = {},
): Promise<T> {
  return sendPatch<T>(transport, target, ops, JSON_PATCH, options);
}

/** Strategic merge patch: merges lists by key (containers by name). Built-in kinds only. */
export function strategicMergePatch<T extends KubeObject>(
  transport: ApiTransport,
  target: ObjectTarget,
  patch: Record<string, unknown>,
  options: WriteOptions = {},
): Promise<T> {
  const group = target.resource.group;
  if (!BUILT_IN_GROUPS.has(group)) {
    return Promise.reject(
      new Error(
        `strategic merge patch is not supported for ${target.resource.plural}.${group} (custom resources do not support it); use mergePatch or jsonPatch for ${target.name}`,
      ),
    );
  }
  return sendPatch<T>(transport, target, patch, STRATEGIC_MERGE_PATCH, options);
}

/**
 * Server-side apply: sends the full intent for the fields this manager owns. `force` takes fields
 * other managers own (use only for fields Slipway is the sole authority on).
 */
export function serverSideApply<T extends KubeObject>(
  transport: ApiTransport,
  target: ObjectTarget,
  intent: KubeObject & Record<string, unknown>,
  options: WriteOptions & { readonly force?: boolean; readonly subresource?: "status" } = {},
): Promise<T> {
  return sendPatch<T>(transport, target, intent, APPLY_PATCH, options, {
    force: options.force === true ? "true" : undefined,
  });
}

/**
 * Replaces the status subresource with `obj.status`, conditional on `obj.metadata.resourceVersion`
 * (the version the status was computed from). Throws ConflictError when the object moved on.
 */
export function replaceStatus<T extends KubeObject>(
  transport: ApiTransport,
  target: ObjectTarget,
  obj: T,
  options: WriteOptions = {},
): Promise<T> {
  const rv = obj.metadata?.resourceVersion;
  if (rv === undefined || rv === "") {
    return Promise.reject(missingVersion(target, "replaceStatus"));
  }
  return transport.request<T>({
    method: "PUT",
    path: path(target, "status"),
    query: query(options),
    body: obj,
    signal: options.signal,
  });
}

/**
 * Merge-patches the status subresource, conditional on `resourceVersion` (409 ConflictError if the
 * object changed since). Cheaper than replaceStatus when only a few status fields change.
 */
export function patchStatus<T extends KubeObject>(
  transport: ApiTransport,
  target: ObjectTarget,
  status: Record<string, unknown>,
  resourceVersion: string,
  options: WriteOptions = {},
): Promise<T> {
  if (resourceVersion === "") return Promise.reject(missingVersion(target, "patchStatus"));
  return mergePatch<T>(
    transport,
    target,
    { metadata: { resourceVersion }, status },
    { ...options, subresource: "status" },
  );
}

function missingVersion(target: ObjectTarget, fn: string): Error {
  return new Error(
    `${fn} on ${target.resource.plural} ${target.namespace === undefined ? "" : `${target.namespace}/`}${target.name}: no metadata.resourceVersion; pass the version the status was computed from (blind overwrites are not allowed)`,
  );
}
