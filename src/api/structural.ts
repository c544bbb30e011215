// zod schema → Kubernetes *structural* OpenAPI v3 schema (what a CRD version's openAPIV3Schema needs).
//
// z.toJSONSchema does most of the work; this post-pass fixes what Kubernetes forbids or reads
// differently (see ../shared/research/ts-ecosystem.md §3) and fails loudly, naming the path, if anything
// non-structural is left. The result is also what cel-offline.ts walks to find the CEL rules.
import { z } from "zod";
import type { CelRule } from "./cel-rules.ts";

export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  "x-kubernetes-int-or-string"?: true;
  "x-kubernetes-preserve-unknown-fields"?: true;
  "x-kubernetes-validations"?: readonly CelRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  [key: string]: unknown;
}

const SAFE_INT = Number.MAX_SAFE_INTEGER;
const FORBIDDEN = [
  "$ref",
  "$defs",
  "definitions",
  "oneOf",
  "allOf",
  "not",
  "const",
  "patternProperties",
  "uniqueItems",
];

/** Converts a zod schema (without transforms or defaults) into a structural schema. */
export function toStructuralSchema(schema: z.ZodType): JsonSchema {
  const raw = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    unrepresentable: "throw",
    cycles: "throw",
    reused: "inline",
  }) as JsonSchema;
  delete raw["$schema"];
  return fix(raw, "");
}

function fix(node: JsonSchema, path: string): JsonSchema {
  if (node["x-kubernetes-int-or-string"]) return intOrString(node);
  const out: JsonSchema = { ...node };
  if (out.additionalProperties === false) delete out.additionalProperties;
  if (isEmptySchema(out.additionalProperties) && Object.keys(out.properties ?? {}).length === 0) {
    delete out.additionalProperties;
    delete out.properties;
    out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  if (out.type === "integer") {
    if (out.minimum === -SAFE_INT) delete out.minimum;
    if (out.maximum === SAFE_INT) delete out.maximum;
  }
  // Kubernetes checks format date-time itself; zod's equivalent regex is noise in the CRD.
  if (out.format === "date-time") delete out.pattern;
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, fix(v, `${path}.${k}`)]),
    );
  }
  if (out.items) out.items = fix(out.items, `${path}[]`);
  assertStructural(out, path || ".");
  return out;
}

function intOrString(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  if (node.description) out.description = node.description;
  out["x-kubernetes-int-or-string"] = true;
  out.anyOf = [{ type: "integer" }, { type: "string" }];
  // The string form's bound: without it the API server assumes a string as long as a whole request
  // and refuses the CEL rules on this field as too expensive.
  const maxLength = node.anyOf?.find((branch) => branch.type === "string")?.maxLength;
  if (maxLength !== undefined) out.maxLength = maxLength;
  // The integer form's bound (JSON Schema applies `maximum` to numbers only, so strings pass it).
  const maximum = node.anyOf?.find((branch) => branch.type === "integer")?.maximum;
  if (maximum !== undefined && maximum !== SAFE_INT) out.maximum = maximum;
  if (node["x-kubernetes-validations"]) out["x-kubernetes-validations"] = node["x-kubernetes-validations"];
  return out;
}

function isEmptySchema(v: unknown): boolean {
  return typeof v === "object" && v !== null && Object.keys(v).length === 0;
}

function assertStructural(node: JsonSchema, path: string): void {
  for (const key of FORBIDDEN) {
    if (key in node) throw new Error(`CRD schema at ${path}: "${key}" is not allowed in a structural schema`);
  }
  if (node.anyOf)
    throw new Error(`CRD schema at ${path}: unions are not structural; use optional fields and a CEL rule`);
  if (node.type === undefined && !node["x-kubernetes-preserve-unknown-fields"]) {
    throw new Error(`CRD schema at ${path}: every node needs a type`);
  }
  if (Array.isArray(node.type)) throw new Error(`CRD schema at ${path}: type must be a single name`);
  if (typeof node.additionalProperties === "object" && node.properties) {
    throw new Error(`CRD schema at ${path}: properties and additionalProperties are mutually exclusive`);
  }
  if (node.pattern && /\(\?[=!<]/.test(node.pattern)) {
    throw new Error(`CRD schema at ${path}: pattern uses lookaround, which Go's RE2 does not support`);
  }
}
