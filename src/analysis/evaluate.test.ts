import { describe, expect, it } from "vitest";
import type { NoDataPolicy } from "../api/analysis-template.ts";
import {
  compileCondition,
  compiledConditionCount,
  evaluateMeasurement,
  type Conditions,
} from "./evaluate.ts";
import { parsePrometheusResponse, type ParsedResponse } from "./prometheus-response.ts";
import type { ConditionVariables } from "./templates.ts";

const variables: ConditionVariables = {
  args: { threshold: "0.99" },
  canary: { revision: "c1" },
  stable: { revision: "s1" },
  rollout: { name: "web", namespace: "shop" },
};
const values = (...v: string[]): ParsedResponse =>
  parsePrometheusResponse(
    {
      status: "success",
      data: { resultType: "vector", result: v.map((x, i) => ({ metric: { i: String(i) }, value: [0, x] })) },
    },
    200,
  );
const conditions = (
  successCondition: string | null,
  failureCondition: string | null,
  noData: NoDataPolicy = "Inconclusive",
): Conditions => ({ successCondition, failureCondition, noData });

const S = "result[0] >= double(args.threshold)";
const F = "result[0] < 0.9";

describe("condition truth table", () => {
  it.each([
    ["no condition", null, null, "0.5", "Successful", undefined],
    ["success only, true", S, null, "0.995", "Successful", undefined],
    ["success only, false", S, null, "0.95", "Failed", `successCondition "${S}" is false`],
    ["failure only, true", null, F, "0.5", "Failed", `failureCondition "${F}" is true`],
    ["failure only, false", null, F, "0.95", "Successful", undefined],
    ["both, success", S, F, "0.995", "Successful", undefined],
    ["both, failure wins", "true", F, "0.5", "Failed", `failureCondition "${F}" is true`],
    [
      "both, neither",
      S,
      F,
      "0.95",
      "Inconclusive",
      `neither successCondition "${S}" nor failureCondition "${F}" is true`,
    ],
  ])("%s", (_name, success, failure, value, phase, message) => {
    const verdict = evaluateMeasurement(conditions(success, failure), values(value), variables);
    expect(verdict).toEqual({ phase, value, ...(message === undefined ? {} : { message }) });
  });

  it("sees args, canary, stable and rollout", () => {
    const expr =
      'args.threshold == "0.99" && canary.revision == "c1" && stable.revision == "s1" && rollout.name == "web" && rollout.namespace == "shop"';
    expect(evaluateMeasurement(conditions(expr, null), values("1"), variables).phase).toBe("Successful");
  });

  it("sees every series of a vector", () => {
    const verdict = evaluateMeasurement(
      conditions("result.all(x, x < 0.1) && size(result) == 3", null),
      values("0.01", "0.02", "0.03"),
      variables,
    );
    expect(verdict).toEqual({ phase: "Successful", value: "[0.01, 0.02, 0.03]" });
  });
});

describe("noData policy", () => {
  const empty = values();
  const nan = values("NaN");
  it.each([
    ["Inconclusive", empty, "Inconclusive", "no data: the query returned an empty vector", "[]"],
    ["Fail", empty, "Failed", "no data: the query returned an empty vector (noData: Fail)", "[]"],
    ["Pass", empty, "Successful", "no data: the query returned an empty vector (noData: Pass)", "[]"],
    ["Inconclusive", nan, "Inconclusive", "no data: the query returned NaN", "NaN"],
    ["Fail", nan, "Failed", "no data: the query returned NaN (noData: Fail)", "NaN"],
  ] as const)("noData: %s", (policy, answer, phase, message, value) => {
    // The conditions would fail on this input; the policy decides before they run.
    expect(evaluateMeasurement(conditions(S, F, policy), answer, variables)).toEqual({
      phase,
      message,
      value,
    });
  });
});

describe("errors", () => {
  it("a failed query is an Error measurement with the provider's message", () => {
    expect(
      evaluateMeasurement(conditions(S, null), { ok: false, error: "cannot reach Prometheus" }, variables),
    ).toEqual({
      phase: "Error",
      message: "cannot reach Prometheus",
    });
  });

  it("a condition that cannot be evaluated is an Error naming it", () => {
    const verdict = evaluateMeasurement(conditions("result[3] > 0.5", null), values("1"), variables);
    expect(verdict.phase).toBe("Error");
    expect(verdict.message).toMatch(/^successCondition "result\[3\] > 0.5" could not be evaluated: .*index/);
  });

  it("a condition that does not type-check (admission refuses it) is an Error, not a crash", () => {
    const verdict = evaluateMeasurement(conditions("result[0]", null), values("1"), variables);
    expect(verdict).toMatchObject({
      phase: "Error",
      message: expect.stringContaining("must be a bool expression"),
    });
  });
});

describe("compile cache", () => {
  it("compiles each expression once", () => {
    const expr = `result[0] > ${Math.random()}`;
    const before = compiledConditionCount();
    const first = compileCondition(expr);
    for (let i = 0; i < 5; i++) evaluateMeasurement(conditions(expr, null), values("1"), variables);
    expect(compiledConditionCount()).toBe(before + 1);
    expect(compileCondition(expr)).toBe(first);
  });
});
