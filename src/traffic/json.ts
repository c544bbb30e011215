// Small helpers for the plain JSON the planners read and build: narrowing, order-insensitive equality and
// JSON pointers. Objects from the API server are never mutated; planners build new values.
import type { JsonObject, JsonValue } from "./types.ts";

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function objectAt(value: JsonValue | undefined): JsonObject {
  return isObject(value) ? value : {};
}

export function arrayAt(value: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(value) ? (value as readonly JsonValue[]) : [];
}

export function stringAt(value: JsonValue | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A map of strings (selectors, labels); non-string values are left out. */
export function stringMap(value: JsonValue | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(objectAt(value))) if (typeof v === "string") out[k] = v;
  return out;
}

/** Deep equality where object key order does not matter (the API server may reorder keys). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const bs = b as readonly JsonValue[];
    return (a as readonly JsonValue[]).every((x, i) => jsonEqual(x, bs[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** `/metadata/annotations/rollouts.slipway.dev~1traffic-original` from its segments (RFC 6901). */
export function jsonPointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** Reads a JSON text; undefined when it does not parse. */
export function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
