// Test support: apply what the webhook answers, the way the API server would.

import { isJsonObject, unescapePointerSegment, type PatchOperation } from "../json-patch.ts";

// A strict RFC 6902 applier for the three operations the diff emits: it fails where a real API server
// would (adding under a missing parent, removing or replacing a missing member).
export function applyPatch(document: unknown, ops: readonly PatchOperation[]): unknown {
  let root: unknown = structuredClone(document);
  for (const op of ops) {
    if (op.path === "") {
      if (op.op === "remove") throw new Error("cannot remove the root");
      root = structuredClone(op.value);
      continue;
    }
    const segments = op.path.slice(1).split("/").map(unescapePointerSegment);
    const last = segments.pop() as string;
    let parent: unknown = root;
    for (const segment of segments) {
      if (Array.isArray(parent)) parent = parent[Number(segment)];
      else if (isJsonObject(parent) && segment in parent) parent = parent[segment];
      else throw new Error(`missing parent at ${op.path}`);
    }
    if (!isJsonObject(parent)) throw new Error(`parent of ${op.path} is not an object`);
    const target = parent as Record<string, unknown>;
    if (op.op !== "add" && !(last in target)) throw new Error(`${op.op} of missing member ${op.path}`);
    if (op.op === "remove") delete target[last];
    else target[last] = structuredClone(op.value);
  }
  return root;
}

/** Decode an AdmissionResponse's base64 JSONPatch and apply it to `object`. */
export function applyBase64Patch(object: unknown, patch: string | undefined): unknown {
  if (patch === undefined) return object;
  return applyPatch(object, JSON.parse(Buffer.from(patch, "base64").toString("utf8")) as PatchOperation[]);
}
