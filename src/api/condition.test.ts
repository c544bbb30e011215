import { describe, expect, it } from "vitest";
import { checkAnalysisCondition, conditionEnvironment } from "./condition.ts";

describe("checkAnalysisCondition", () => {
  it.each([
    "result[0] >= double(args.threshold)",
    "result[0] < 0.9",
    "result[0] >= 1",
    "size(result) > 0 && result.all(x, x < 0.5)",
    "args.service == 'web' && canary.revision != stable.revision",
    "rollout.namespace == 'shop'",
  ])("accepts %s", (expr) => {
    expect(checkAnalysisCondition(expr)).toEqual({ ok: true });
  });

  it.each([
    ["", "is empty"],
    ["result[0] >=", "does not compile: Unexpected token"],
    ["result[0] >= 'x'", "no such overload: double >= string"],
    ["latency > 1.0", "Unknown variable: latency"],
    ["result[0]", "must be a bool expression, but has type double"],
    ["size(result)", "has type int"],
    ["x".repeat(2049), "longer than 2048 characters"],
  ])("refuses %j: %s", (expr, message) => {
    const check = checkAnalysisCondition(expr);
    expect(check.ok).toBe(false);
    expect(check.ok ? "" : check.message).toContain(message);
  });

  it("evaluates in the environment it checks against", () => {
    const env = conditionEnvironment();
    expect(env.evaluate("result[0] >= double(args.t)", { result: [0.995], args: { t: "0.99" } })).toBe(true);
    expect(env.evaluate("result[0] >= double(args.t)", { result: [0.5], args: { t: "0.99" } })).toBe(false);
  });
});
