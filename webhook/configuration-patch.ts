// What Slipway writes into a live `slipway` webhook configuration: only what it owns, as a JSON patch, so
// labels, annotations and anything else Helm or a person set survive every certificate publish.
//
//   in a cluster (the endpoint is a Service): the Helm chart owns the object; Slipway owns only the
//     caBundle of its own webhook entries (by name). A missing object or entry is reported, not recreated.
//   local mode (the endpoint is a URL): Slipway created the object and owns its own entries whole (the URL
//     changes with the port); other entries and all metadata stay untouched.
import type { JsonPatchOp } from "../src/kube/patch.ts";
import { isJsonObject } from "./json-patch.ts";

type Json = Record<string, unknown>;

export interface LiveConfiguration {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly webhooks?: readonly Json[];
}

export type Ownership = "caBundle" | "entries";

export type ConfigurationPlan =
  /** Nothing to write. */
  | { readonly type: "unchanged" }
  /** Absent, and Slipway may create it (local mode). */
  | { readonly type: "create" }
  /** Absent, and only the Helm chart creates it. */
  | { readonly type: "absent" }
  /**
   * Conditional on the resourceVersion the plan was made from (a 409 means: read again and re-plan).
   * `missing` names desired entries the live object lacks, which this write cannot add (in a cluster).
   */
  | { readonly type: "patch"; readonly ops: readonly JsonPatchOp[]; readonly missing: readonly string[] };

/** The patch that makes `live` carry what Slipway owns of `desired` (built by webhook/configurations.ts). */
export function planConfiguration(
  live: LiveConfiguration | undefined,
  desired: Json,
  owns: Ownership,
): ConfigurationPlan {
  if (live === undefined) return { type: owns === "entries" ? "create" : "absent" };
  const liveHooks = live.webhooks ?? [];
  const ops: JsonPatchOp[] = [];
  const missing: string[] = [];
  const wanted = (desired["webhooks"] as readonly Json[] | undefined) ?? [];
  for (const hook of wanted) {
    const name = String(hook["name"]);
    const index = liveHooks.findIndex((h) => h["name"] === name);
    const at = `/webhooks/${index}`;
    const guard: JsonPatchOp = { op: "test", path: `${at}/name`, value: name };
    if (index < 0) {
      if (owns === "entries") ops.push({ op: "add", path: "/webhooks/-", value: hook });
      else missing.push(name);
      continue;
    }
    const current = liveHooks[index];
    if (owns === "entries") {
      if (!containsAll(current, hook)) ops.push(guard, { op: "replace", path: at, value: hook });
      continue;
    }
    const caBundle = (hook["clientConfig"] as Json | undefined)?.["caBundle"];
    const liveConfig = current?.["clientConfig"];
    if (caBundle === undefined || (isJsonObject(liveConfig) && liveConfig["caBundle"] === caBundle)) continue;
    ops.push(
      guard,
      isJsonObject(liveConfig)
        ? { op: "add", path: `${at}/clientConfig/caBundle`, value: caBundle }
        : { op: "add", path: `${at}/clientConfig`, value: { caBundle } },
    );
  }
  if (ops.length === 0 && missing.length === 0) return { type: "unchanged" };
  const precondition: JsonPatchOp = {
    op: "replace",
    path: "/metadata/resourceVersion",
    value: live.metadata?.resourceVersion ?? "",
  };
  return { type: "patch", ops: ops.length === 0 ? [] : [precondition, ...ops], missing };
}

/** Whether every field of `wanted` has the same value in `actual` (lists: same length, item by item). */
export function containsAll(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => containsAll(actual[i], w))
    );
  }
  if (isJsonObject(wanted)) {
    return isJsonObject(actual) && Object.entries(wanted).every(([k, w]) => containsAll(actual[k], w));
  }
  return actual === wanted;
}
