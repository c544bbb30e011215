// One measurement's phase (SPEC §2.2): the provider's answer, the noData policy and the CEL conditions.
// Conditions are compiled once per expression text (cached) in the environment admission type-checks
// against (src/api/condition.ts), so what was accepted is exactly what runs.
import type { NoDataPolicy } from "../api/analysis-template.ts";
import { checkAnalysisCondition, conditionEnvironment } from "../api/condition.ts";
import type { MeasurementPhase } from "../api/rollout-status.ts";
import type { ParsedResponse } from "./prometheus-response.ts";
import type { ConditionVariables } from "./templates.ts";

export interface MeasurementVerdict {
  readonly phase: MeasurementPhase;
  /** The value as text ("0.998", "[]", "NaN"); absent when the query failed. */
  readonly value?: string;
  /** Why, for every phase but a plain success. */
  readonly message?: string;
}

export interface Conditions {
  readonly successCondition: string | null;
  readonly failureCondition: string | null;
  readonly noData: NoDataPolicy;
}

/** Decides a measurement from the provider's answer. Pure apart from the compile cache. */
export function evaluateMeasurement(
  metric: Conditions,
  answer: ParsedResponse,
  variables: ConditionVariables,
): MeasurementVerdict {
  if (!answer.ok) return { phase: "Error", message: answer.error };
  const result = answer.result;
  if (result.kind === "noData") return noDataVerdict(metric.noData, result.why, result.text);
  const context = { ...variables, result: result.values };
  const value = result.text;
  const failure = metric.failureCondition === null ? false : run(metric.failureCondition, context);
  if (failure instanceof Error)
    return { phase: "Error", value, message: `failureCondition ${failure.message}` };
  const success = metric.successCondition === null ? null : run(metric.successCondition, context);
  if (success instanceof Error)
    return { phase: "Error", value, message: `successCondition ${success.message}` };

  if (failure)
    return { phase: "Failed", value, message: `failureCondition ${quote(metric.failureCondition)} is true` };
  if (success === null) return { phase: "Successful", value };
  if (success) return { phase: "Successful", value };
  if (metric.failureCondition === null) {
    return { phase: "Failed", value, message: `successCondition ${quote(metric.successCondition)} is false` };
  }
  return {
    phase: "Inconclusive",
    value,
    message:
      `neither successCondition ${quote(metric.successCondition)} nor ` +
      `failureCondition ${quote(metric.failureCondition)} is true`,
  };
}

function noDataVerdict(policy: NoDataPolicy, why: string, value: string): MeasurementVerdict {
  switch (policy) {
    case "Inconclusive":
      return { phase: "Inconclusive", value, message: `no data: ${why}` };
    case "Fail":
      return { phase: "Failed", value, message: `no data: ${why} (noData: Fail)` };
    case "Pass":
      return { phase: "Successful", value, message: `no data: ${why} (noData: Pass)` };
    default: {
      const unknown: never = policy;
      throw new Error(`unknown noData policy ${String(unknown)}`);
    }
  }
}

type Program = (context: Record<string, unknown>) => unknown;
type Compiled =
  { readonly ok: true; readonly program: Program } | { readonly ok: false; readonly error: string };

/** Bounded: expressions come from templates, but a long-running controller sees many versions of them. */
const MAX_CACHED = 1000;
const cache = new Map<string, Compiled>();

/** Compiles (and type-checks) a condition once; later calls reuse the program. */
export function compileCondition(expr: string): Compiled {
  const hit = cache.get(expr);
  if (hit !== undefined) return hit;
  const check = checkAnalysisCondition(expr);
  let compiled: Compiled;
  if (!check.ok) {
    compiled = { ok: false, error: check.message };
  } else {
    try {
      compiled = { ok: true, program: conditionEnvironment().parse(expr) as Program };
    } catch (err) {
      compiled = { ok: false, error: `does not compile: ${firstLine(err)}` };
    }
  }
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(expr, compiled);
  return compiled;
}

/** How many compiled conditions are cached (tests prove compile-once with it). */
export function compiledConditionCount(): number {
  return cache.size;
}

function run(expr: string, context: Record<string, unknown>): boolean | Error {
  const compiled = compileCondition(expr);
  if (!compiled.ok) return new Error(`${quote(expr)} ${compiled.error}`);
  let value: unknown;
  try {
    value = compiled.program(context);
  } catch (err) {
    return new Error(`${quote(expr)} could not be evaluated: ${firstLine(err)}`);
  }
  if (typeof value !== "boolean") return new Error(`${quote(expr)} returned ${typeof value}, not a bool`);
  return value;
}

function quote(expr: string | null): string {
  return JSON.stringify(expr ?? "");
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
