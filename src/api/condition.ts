// Type-checks analysis successCondition/failureCondition CEL before anything runs them (SPEC §2.2).
// The environment declares exactly what the analysis provider passes at evaluation time.
import { Environment } from "@marcbachmann/cel-js";
import { MAX_CONDITION_LENGTH } from "./analysis-template.ts";

export type ConditionCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Variables a condition can use. Values: result list(double); the rest map(string, string). */
export const CONDITION_VARIABLES = {
  result: "list<double>",
  args: "map<string, string>",
  canary: "map<string, string>",
  stable: "map<string, string>",
  rollout: "map<string, string>",
} as const;

let env: Environment | undefined;

/** The environment the analysis provider must evaluate conditions in (so check and run agree). */
export function conditionEnvironment(): Environment {
  if (!env) {
    env = new Environment({
      limits: {
        maxAstNodes: 500,
        maxDepth: 32,
        maxListElements: 100,
        maxMapEntries: 100,
        maxCallArguments: 8,
      },
    });
    for (const [name, type] of Object.entries(CONDITION_VARIABLES)) env.registerVariable(name, type);
  }
  return env;
}

/** Compiles and type-checks a condition; it must be a bool expression over the declared variables. */
export function checkAnalysisCondition(expr: string): ConditionCheck {
  if (expr.trim() === "")
    return { ok: false, message: 'is empty: write a CEL expression such as "result[0] >= 0.99"' };
  if (expr.length > MAX_CONDITION_LENGTH) {
    return {
      ok: false,
      message: `is longer than ${MAX_CONDITION_LENGTH} characters: shorten the expression`,
    };
  }
  let check: ReturnType<Environment["check"]>;
  try {
    check = conditionEnvironment().check(expr);
  } catch (err) {
    return { ok: false, message: `does not compile: ${describe(err)}` };
  }
  if (!check.valid) {
    return {
      ok: false,
      message:
        `does not compile: ${describe(check.error)} (variables: result list(double), ` +
        "args/canary/stable/rollout map(string, string))",
    };
  }
  if (check.type !== "bool" && check.type !== "dyn") {
    return {
      ok: false,
      message: `must be a bool expression, but has type ${check.type}: compare it, e.g. "${expr} > 0"`,
    };
  }
  return { ok: true };
}

function describe(err: unknown): string {
  if (!err) return "unknown error";
  const e = err as { summary?: string; message?: string; range?: { start: number } };
  const text = e.summary ?? (e.message ?? String(err)).split("\n")[0] ?? "";
  return e.range ? `${text} at column ${e.range.start + 1}` : text;
}
