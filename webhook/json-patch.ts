// RFC 6902 JSON Patch built by diffing the admitted object against a mutated copy (the Pepr pattern):
// mutators stay plain `object → object` edits and the patch can never disagree with what they did.

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export type PatchOperation =
  | { readonly op: "add"; readonly path: string; readonly value: JsonValue }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "replace"; readonly path: string; readonly value: JsonValue };

/** RFC 6901: `~` becomes `~0` first, then `/` becomes `~1` (the order matters for keys holding both). */
export function escapePointerSegment(segment: string): string {
  if (!segment.includes("~") && !segment.includes("/")) return segment;
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

export function unescapePointerSegment(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Operations turning `before` into `after`. Objects are diffed key by key (so a new key under an absent
 * parent adds the parent whole), arrays that differ are replaced whole: admission objects are small
 * enough, and index-based array ops are where hand-written patches usually go wrong.
 * Keys whose value is `undefined` count as absent, as they do in JSON.
 */
export function diffJson(before: unknown, after: unknown, path = ""): PatchOperation[] {
  return deepEqualJson(before, after) ? [] : diffUnequal(before, after, path);
}

function diffUnequal(before: unknown, after: unknown, path: string): PatchOperation[] {
  if (isJsonObject(before) && isJsonObject(after)) return diffObjects(before, after, path);
  return [{ op: "replace", path, value: toJson(after) }];
}

function diffObjects(before: JsonObject, after: JsonObject, path: string): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const key of Object.keys(before)) {
    if (before[key] === undefined) continue;
    if (after[key] === undefined) ops.push({ op: "remove", path: `${path}/${escapePointerSegment(key)}` });
  }
  for (const key of Object.keys(after)) {
    const next = after[key];
    const previous = before[key];
    // Mutated copies share untouched subtrees with the original: same reference, nothing to compare.
    if (next === undefined || next === previous) continue;
    if (previous === undefined)
      ops.push({ op: "add", path: `${path}/${escapePointerSegment(key)}`, value: toJson(next) });
    else if (!deepEqualJson(previous, next))
      ops.push(...diffUnequal(previous, next, `${path}/${escapePointerSegment(key)}`));
  }
  return ops;
}

export function deepEqualJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqualJson(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    return keysA.length === keysB.length && keysA.every((k) => deepEqualJson(a[k], b[k]));
  }
  return false;
}

function toJson(value: unknown): JsonValue {
  // The values come from parsed JSON or from mutators writing JSON data; a round trip drops `undefined`.
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}
