// Multi-document YAML as kubectl reads it: YAML 1.1 (so `yes` is a boolean, as for the API server),
// `kind: List` expanded, empty documents skipped. Syntax errors carry line and column.
import { LineCounter, parseAllDocuments } from "yaml";

export interface Manifest {
  /** 1-based document number in the file. */
  readonly document: number;
  /** 1-based line where the document starts. */
  readonly line: number;
  readonly object: unknown;
}

export type LoadResult =
  | { readonly ok: true; readonly manifests: readonly Manifest[] }
  | { readonly ok: false; readonly errors: readonly string[] };

export function loadManifests(text: string, source: string): LoadResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { version: "1.1", prettyErrors: true, lineCounter });
  const errors: string[] = [];
  const manifests: Manifest[] = [];
  for (const [i, doc] of docs.entries()) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
      errors.push(`${where}: YAML syntax error: ${e.message.split(" at line ")[0]?.split("\n")[0]}`);
    }
    if (doc.errors.length > 0) continue;
    const object: unknown = doc.toJS({ maxAliasCount: 100 });
    if (object === null || object === undefined) continue;
    const line = lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    for (const item of expandList(object)) manifests.push({ document: i + 1, line, object: item });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, manifests };
}

function expandList(object: unknown): readonly unknown[] {
  if (typeof object !== "object" || object === null || Array.isArray(object)) return [object];
  const record = object as Record<string, unknown>;
  const isList = record["kind"] === "List" && record["apiVersion"] === "v1" && Array.isArray(record["items"]);
  return isList ? (record["items"] as unknown[]) : [object];
}

/** `apiVersion`, `kind`, `metadata.name/namespace` of a manifest, where present. */
export function identify(object: unknown): {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
} {
  if (typeof object !== "object" || object === null) return {};
  const r = object as Record<string, unknown>;
  const meta =
    typeof r["metadata"] === "object" && r["metadata"] !== null
      ? (r["metadata"] as Record<string, unknown>)
      : {};
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  return {
    apiVersion: str(r["apiVersion"]),
    kind: str(r["kind"]),
    name: str(meta["name"]),
    namespace: str(meta["namespace"]),
  };
}
