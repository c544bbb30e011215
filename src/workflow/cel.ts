// `if` conditions in CEL. Each expression is parsed and type-checked once (cached by its text); the step
// names it reads literally (`steps.x…`, `steps["x"]…`) are extracted so the engine can order the step after
// them and hand it only the data it reads.
import { Environment } from "@marcbachmann/cel-js";
import type { ASTNode, ParseResult } from "@marcbachmann/cel-js";

export const CONDITION_VARIABLES = ["steps", "inputs", "context", "workflow"] as const;

const environment = new Environment()
  .registerVariable("steps", "map")
  .registerVariable("inputs", "map")
  .registerVariable("context", "map")
  .registerVariable("workflow", "map");

export interface CompiledCondition {
  readonly source: string;
  readonly program: ParseResult;
  /** Step names read literally, or "all" when `steps` is used as a whole (e.g. `steps.exists(...)`). */
  readonly stepRefs: readonly string[] | "all";
  readonly readsInputs: boolean;
}

export type ConditionCompileResult =
  | { readonly ok: true; readonly condition: CompiledCondition }
  | { readonly ok: false; readonly error: string };

const CACHE_LIMIT = 2_000;
const cache = new Map<string, ConditionCompileResult>();

export function compileCondition(source: string): ConditionCompileResult {
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  const result = compileUncached(source);
  // A crude bound: definitions are few and repeat, so dropping everything now and then is enough.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, result);
  return result;
}

function compileUncached(source: string): ConditionCompileResult {
  let program: ParseResult;
  try {
    program = environment.parse(source);
  } catch (error) {
    return { ok: false, error: firstLine(error) };
  }
  const check = program.check();
  if (!check.valid) return { ok: false, error: firstLine(check.error) };
  if (check.type !== "bool" && check.type !== "dyn") {
    return { ok: false, error: `the expression has type ${check.type ?? "unknown"}; it must be a bool` };
  }
  const found: References = { steps: new Set(), allSteps: false, inputs: false };
  collectReferences(program.ast, found);
  const stepRefs = found.allSteps ? "all" : [...found.steps];
  return { ok: true, condition: { source, program, stepRefs, readsInputs: found.inputs } };
}

/** The condition's value; throws with a readable message when it cannot be evaluated or is not a bool. */
export function evaluateCondition(
  condition: CompiledCondition,
  variables: Readonly<Record<string, unknown>>,
): boolean {
  let value: unknown;
  try {
    value = condition.program(variables);
  } catch (error) {
    throw new Error(firstLine(error), { cause: error });
  }
  if (typeof value !== "boolean") throw new Error(`evaluated to ${typeof value}, not a bool`);
  return value;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

interface References {
  readonly steps: Set<string>;
  allSteps: boolean;
  inputs: boolean;
}

function isIdentifier(node: ASTNode, name: string): boolean {
  return node.op === "id" && node.args === name;
}

function collectReferences(node: ASTNode, found: References): void {
  switch (node.op) {
    case "value":
      return;
    case "id":
      if (node.args === "steps") found.allSteps = true;
      if (node.args === "inputs") found.inputs = true;
      return;
    case ".":
    case ".?": {
      const [target, field] = node.args;
      if (isIdentifier(target, "steps")) found.steps.add(field);
      else collectReferences(target, found);
      return;
    }
    case "[]":
    case "[?]": {
      const [target, index] = node.args;
      if (isIdentifier(target, "steps") && index.op === "value" && typeof index.args === "string") {
        found.steps.add(index.args);
        return;
      }
      collectReferences(target, found);
      collectReferences(index, found);
      return;
    }
    case "call":
      for (const argument of node.args[1]) collectReferences(argument, found);
      return;
    case "rcall":
      collectReferences(node.args[1], found);
      for (const argument of node.args[2]) collectReferences(argument, found);
      return;
    case "list":
      for (const item of node.args) collectReferences(item, found);
      return;
    case "map":
      for (const [key, value] of node.args) {
        collectReferences(key, found);
        collectReferences(value, found);
      }
      return;
    case "?:":
      for (const part of node.args) collectReferences(part, found);
      return;
    case "!_":
    case "-_":
      collectReferences(node.args, found);
      return;
    default:
      collectReferences(node.args[0], found);
      collectReferences(node.args[1], found);
  }
}
