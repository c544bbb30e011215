// Problems: what is wrong with an object, as `{path, message}`. The path uses the API server's notation
// (`spec.strategy.canary.steps[1].replicas`) so a lint line and an admission error look alike.
import type { z } from "zod";
import { REQUIRED } from "./common.ts";
import type { JsonSchema } from "./structural.ts";

export interface Problem {
  readonly path: string;
  readonly message: string;
}

export function joinPath(base: string, key: PropertyKey): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const k = String(key);
  return base === "" ? k : `${base}.${k}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => joinPath(acc, key), "");
}

/** The schema node at a zod issue path (array indexes step into `items`). */
export function schemaAt(root: JsonSchema, path: readonly PropertyKey[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const key of path) {
    if (!node) return undefined;
    node = typeof key === "number" ? node.items : node.properties?.[String(key)];
  }
  return node;
}

/** Turns zod issues into problems whose messages say how to fix them. */
export function problemsFromZod(error: z.ZodError, schema: JsonSchema): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      const known = Object.keys(schemaAt(schema, issue.path)?.properties ?? {});
      for (const key of issue.keys) {
        out.push({ path: joinPath(path, key), message: unknownField(key, known) });
      }
      continue;
    }
    if (issue.message === REQUIRED) {
      const description = schemaAt(schema, issue.path)?.description;
      const field = String(issue.path[issue.path.length - 1] ?? "field");
      out.push({ path, message: `is required: add ${field}${description ? ` (${description})` : ""}` });
      continue;
    }
    out.push({ path, message: issue.message });
  }
  return out;
}

function unknownField(key: string, known: readonly string[]): string {
  const close = closeMatches(key, known);
  const hint =
    close.length > 0
      ? `did you mean ${close.map((k) => `"${k}"`).join(" or ")}?`
      : known.length > 0
        ? `known fields: ${known.join(", ")}`
        : "this object takes no fields";
  return `unknown field "${key}": remove it or fix the spelling (${hint})`;
}

/** The candidates within two edits of `word` (case-insensitive): the "did you mean" of every message. */
export function closeMatches(word: string, candidates: readonly string[]): string[] {
  return candidates.filter((c) => editDistance(c.toLowerCase(), word.toLowerCase()) <= 2);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** True when `path` is `prefix` or lies under it. */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === "") return true;
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}
