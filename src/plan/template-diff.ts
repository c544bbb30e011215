// Does a workload update start a release? SPEC §4.1: only when the pod template changed, ignoring the
// `pod-template-hash` label and the Rollout's `spec.ignoreTemplateKeys`. Shared by the webhook (which holds
// the release) and the controller (which recognises supersede and rollback by the same hash).

import { createHash } from "node:crypto";

/** Label the Deployment and CloneSet controllers stamp on pod templates; never part of a release. */
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The template in a canonical form: `pod-template-hash` and the ignored keys removed from the template's
 * labels and annotations, object keys sorted, and null / empty values dropped (the API server omits
 * empty fields, so `{}` and absent mean the same and must not look like a release).
 * `ignoreTemplateKeys` are label or annotation keys of the pod template (e.g. `example.com/build-id`).
 */
export function canonicalTemplate(template: unknown, ignoreTemplateKeys: readonly string[] = []): Json {
  const ignored = new Set([POD_TEMPLATE_HASH_LABEL, ...ignoreTemplateKeys]);
  const canonical = canonicalize(template);
  return canonical === undefined ? null : stripMetadataKeys(canonical, ignored);
}

/** The canonical form as JSON text: equal texts mean the same template for release purposes. */
export function canonicalTemplateJson(template: unknown, ignoreTemplateKeys: readonly string[] = []): string {
  return JSON.stringify(canonicalTemplate(template, ignoreTemplateKeys));
}

export function templateChanged(
  before: unknown,
  after: unknown,
  ignoreTemplateKeys: readonly string[] = [],
): boolean {
  return (
    canonicalTemplateJson(before, ignoreTemplateKeys) !== canonicalTemplateJson(after, ignoreTemplateKeys)
  );
}

/**
 * Slipway's own hash of a pod template (16 hex characters of SHA-256 over the canonical form). It is not
 * Kubernetes' `pod-template-hash` (which hashes the Go struct and cannot be reproduced outside Go); it
 * names a canary template in `rollouts.slipway.dev/release` so that supersede and rollback are seen.
 */
export function templateHash(template: unknown, ignoreTemplateKeys: readonly string[] = []): string {
  return hashCanonicalTemplate(canonicalTemplateJson(template, ignoreTemplateKeys));
}

/** `templateHash` from an already computed `canonicalTemplateJson` (saves canonicalising twice). */
export function hashCanonicalTemplate(canonicalJson: string): string {
  return createHash("sha256").update(canonicalJson).digest("hex").slice(0, 16);
}

function canonicalize(value: unknown): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => canonicalize(item) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const child = canonicalize((value as Record<string, unknown>)[key]);
      if (child !== undefined) out[key] = child;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return undefined;
}

function stripMetadataKeys(template: Json, ignored: ReadonlySet<string>): Json {
  if (!isObject(template) || !isObject(template["metadata"])) return template;
  const metadata = { ...template["metadata"] };
  for (const field of ["labels", "annotations"]) {
    const map = metadata[field];
    if (!isObject(map)) continue;
    const kept = Object.fromEntries(Object.entries(map).filter(([key]) => !ignored.has(key)));
    if (Object.keys(kept).length === 0) delete metadata[field];
    else metadata[field] = kept;
  }
  const result = { ...template };
  if (Object.keys(metadata).length === 0) delete result["metadata"];
  else result["metadata"] = metadata;
  return result;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
