// Evaluates the CRD's own validation rules offline, the way the API server does: walk the structural
// schema (crd.ts) alongside the object and run every `x-kubernetes-validations` rule with `self` bound
// to the value at that node. Also enforces `x-kubernetes-list-type: map` uniqueness. Used by the
// webhook, the controller and `slipway lint` so all three accept and refuse exactly what the CRD does.
import { Environment } from "@marcbachmann/cel-js";
import { LOCATORS } from "./cel-locators.ts";
import { isTransitionRule, type CelRule } from "./cel-rules.ts";
import { isUnder, joinPath, type Problem } from "./problems.ts";
import type { JsonSchema } from "./structural.ts";

type Compiled = (ctx: { self: unknown }) => unknown;

let env: Environment | undefined;
const compiled = new Map<string, Compiled>();

function compile(rule: string): Compiled {
  let fn = compiled.get(rule);
  if (!fn) {
    env ??= new Environment()
      .registerVariable("self", "dyn")
      // From the Kubernetes CEL list library; @marcbachmann/cel-js does not ship it.
      .registerFunction("list.isSorted(): bool", (l: readonly unknown[]) => isSorted(l));
    fn = env.parse(rule) as Compiled;
    compiled.set(rule, fn);
  }
  return fn;
}

function isSorted(values: readonly unknown[]): boolean {
  for (let i = 1; i < values.length; i++) {
    const a = values[i - 1];
    const b = values[i];
    if (
      (typeof a === "bigint" || typeof a === "number") &&
      (typeof b === "bigint" || typeof b === "number")
    ) {
      if (a > b) return false;
    } else if (typeof a === "string" && typeof b === "string") {
      if (a > b) return false;
    } else {
      throw new Error("isSorted: list elements are not comparable");
    }
  }
  return true;
}

/**
 * Runs the rules of `schema` against `value`. Rules at a node whose subtree already has a schema
 * problem (`blockedBy`) are skipped, as their input is not what the rule expects.
 */
export function evaluateCelRules(
  schema: JsonSchema,
  value: unknown,
  blockedBy: readonly Problem[] = [],
): Problem[] {
  const out: Problem[] = [];
  walk(schema, value, "", (path) => blockedBy.some((p) => isUnder(p.path, path)), out);
  return out;
}

function walk(
  schema: JsonSchema,
  value: unknown,
  path: string,
  blocked: (path: string) => boolean,
  out: Problem[],
): void {
  if (value === undefined || value === null) return;
  for (const rule of schema["x-kubernetes-validations"] ?? []) {
    if (isTransitionRule(rule) || blocked(path)) continue;
    const problem = runRule(rule, value, schema, path);
    if (problem) out.push(problem);
  }
  if (Array.isArray(value)) {
    if (schema["x-kubernetes-list-type"] === "map") out.push(...duplicateKeys(schema, value, path));
    if (schema.items) {
      for (const [i, item] of value.entries()) walk(schema.items, item, joinPath(path, i), blocked, out);
    }
    return;
  }
  if (typeof value === "object" && schema.properties) {
    for (const [key, child] of Object.entries(schema.properties)) {
      walk(child, (value as Record<string, unknown>)[key], joinPath(path, key), blocked, out);
    }
  }
}

/** Evaluates one rule with `self` = value (typed by `schema`): true, false, or an evaluation error. */
export function evaluateRule(rule: CelRule, value: unknown, schema?: JsonSchema): boolean | Error {
  try {
    return compile(rule.rule)({ self: toCel(value, schema) }) === true;
  } catch (err) {
    return new Error(firstLine(err));
  }
}

function runRule(rule: CelRule, value: unknown, schema: JsonSchema, path: string): Problem | undefined {
  const result = evaluateRule(rule, value, schema);
  if (result instanceof Error) {
    return { path, message: `${rule.message} (the rule could not be evaluated: ${result.message})` };
  }
  if (result) return undefined;
  const located = LOCATORS.get(rule.rule)?.(value);
  return { path: path + (located ?? rule.fieldPath ?? ""), message: rule.message };
}

function duplicateKeys(schema: JsonSchema, items: readonly unknown[], path: string): Problem[] {
  const keys = schema["x-kubernetes-list-map-keys"] ?? [];
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const [i, item] of items.entries()) {
    if (typeof item !== "object" || item === null) continue;
    const record = item as Record<string, unknown>;
    const id = JSON.stringify(keys.map((k) => record[k]));
    if (seen.has(id)) {
      const what = keys.map((k) => `${k} ${JSON.stringify(record[k])}`).join(", ");
      out.push({
        path: joinPath(path, i),
        message: `duplicate ${what}: each item needs a unique ${keys.join("/")}`,
      });
    }
    seen.add(id);
  }
  return out;
}

/** JSON → CEL values as the API server types them: integers become int (BigInt), numbers double. */
function toCel(value: unknown, schema: JsonSchema | undefined): unknown {
  if (typeof value === "number") {
    if (schema?.type === "number") return value;
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (typeof value === "object" && value !== null) {
    const props = schema?.properties;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, props?.[k])]));
  }
  return value;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
