// The locators refine where a list rule failed; they must agree with the CEL rule itself: a locator
// names an item exactly when its rule rejects the value (random step lists, evaluated by cel-js).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOCATORS } from "./cel-locators.ts";
import { evaluateRule } from "./cel-offline.ts";
import { RULES } from "./cel-rules.ts";
import { openApiSchemaFor } from "./crd.ts";
import { schemaAt } from "./problems.ts";

const canarySchema = schemaAt(openApiSchemaFor("Rollout"), ["spec", "strategy", "canary"]);
const stepsSchema = canarySchema?.properties?.["steps"];

const percent = fc.integer({ min: 0, max: 120 }).map((p) => `${p}%`);
const header = fc.record({ name: fc.constantFrom("a", "b"), value: fc.constant("1") });
const step = fc.record(
  {
    replicas: fc.oneof(fc.integer({ min: 0, max: 12 }), percent),
    traffic: percent,
    matches: fc.array(fc.record({ headers: fc.array(header, { minLength: 1, maxLength: 2 }) }), {
      minLength: 1,
      maxLength: 2,
    }),
  },
  { requiredKeys: ["replicas"] },
);
const steps = fc.array(step, { minLength: 1, maxLength: 6 });
const canary = fc.record(
  {
    steps,
    trafficRouting: fc.constantFrom(
      { service: "web", nginx: { ingress: "web" } },
      { service: "web", istio: { virtualService: { name: "v" } } },
    ),
  },
  { requiredKeys: ["steps"] },
);

function agrees(rule: { rule: string }, value: unknown, schema: typeof stepsSchema): void {
  const locate = LOCATORS.get(rule.rule);
  if (!locate) throw new Error(`no locator for ${rule.rule}`);
  const verdict = evaluateRule({ rule: rule.rule, message: "" }, value, schema);
  if (verdict instanceof Error) throw verdict;
  expect(locate(value) === undefined).toBe(verdict);
}

describe("list-rule locators agree with their CEL rules", () => {
  it.each(RULES.steps.map((r) => [r.rule, r] as const))("%s", (_text, rule) => {
    fc.assert(
      fc.property(steps, (value) => agrees(rule, value, stepsSchema)),
      { numRuns: 300 },
    );
  });

  it.each(RULES.canary.slice(0, 2).map((r) => [r.rule, r] as const))("%s", (_text, rule) => {
    fc.assert(
      fc.property(canary, (value) => agrees(rule, value, canarySchema)),
      { numRuns: 300 },
    );
  });

  it("the root name rule", () => {
    const rule = RULES.rolloutRoot[0];
    for (const name of ["web", "a".repeat(63), "a".repeat(64)])
      agrees(rule, { metadata: { name } }, openApiSchemaFor("Rollout"));
  });

  it("points at the first offending step", () => {
    const locate = LOCATORS.get(RULES.steps[0].rule);
    expect(locate?.([{ replicas: 3 }, { replicas: "10%" }, { replicas: 1 }, { replicas: 0 }])).toBe(
      "[2].replicas",
    );
  });
});
