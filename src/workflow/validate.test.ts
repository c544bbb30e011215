import { describe, expect, it } from "vitest";
import {
  createRegistry,
  startRun,
  succeeded,
  tick,
  validateDefinition,
  WorkflowDefinitionError,
} from "./index.ts";
import type { StepDefinition, WorkflowDefinition } from "./index.ts";
import { compileCondition } from "./cel.ts";

const registry = createRegistry({ work: () => succeeded() });
const step = (name: string, extra: Partial<StepDefinition> = {}): StepDefinition => ({
  name,
  type: "work",
  ...extra,
});
const problems = (definition: WorkflowDefinition): readonly string[] =>
  validateDefinition(definition, registry);

describe("validateDefinition", () => {
  it("accepts a valid definition with groups, conditions and finally steps", () => {
    expect(
      problems({
        mode: "dag",
        steps: [
          step("a"),
          step("b", {
            dependsOn: ["a"],
            retry: { limit: 2, backoff: { initial: "1s", factor: 2, max: "1m" } },
          }),
          {
            name: "g",
            type: "group",
            group: { mode: "dag", steps: [step("c"), step("d", { dependsOn: ["c"] })] },
          },
          step("e", { if: 'steps.a.phase == "Failed" || steps.d.outputs.x == 1', timeout: "5m" }),
        ],
        finally: [step("cleanup", { if: 'workflow.phase != "Succeeded"' })],
      }),
    ).toEqual([]);
  });

  it("names both places of a duplicate step name, across groups and finally steps", () => {
    const found = problems({
      steps: [step("a"), { name: "g", type: "group", group: { steps: [step("a")] } }],
      finally: [step("g")],
    });
    expect(found).toContain(
      'steps[1].group.steps[0]: duplicate step name "a" (also at steps[0]); names must be unique across the ' +
        "whole workflow, including sub-steps and finally steps",
    );
    expect(
      found.some((problem) => problem.startsWith('finally[0]: duplicate step name "g" (also at steps[1])')),
    ).toBe(true);
  });

  it("rejects an unknown dependency and one outside the step's own list", () => {
    const found = problems({
      mode: "dag",
      steps: [
        step("a", { dependsOn: ["nope"] }),
        { name: "g", type: "group", group: { steps: [step("inner")] } },
        step("b", { dependsOn: ["inner"] }),
      ],
    });
    expect(found).toEqual([
      'step "a": dependsOn "nope", but no step has that name',
      'step "b": dependsOn "inner", which is not in the top-level steps but in group "g"; dependsOn may only name ' +
        "steps of the same list (depend on the enclosing group instead)",
    ]);
  });

  it("reports a cycle with its path", () => {
    expect(
      problems({
        mode: "dag",
        steps: [
          step("a", { dependsOn: ["c"] }),
          step("b", { dependsOn: ["a"] }),
          step("c", { dependsOn: ["b"] }),
        ],
      }),
    ).toEqual([expect.stringMatching(/^dependency cycle in the top-level steps: a → b → c → a /)]);
    expect(problems({ mode: "dag", steps: [step("self", { dependsOn: ["self"] })] })).toEqual([
      expect.stringMatching(/^dependency cycle in the top-level steps: self → self /),
    ]);
  });

  it("sees the cycle made by a steps-mode order and a dependency on a later step", () => {
    expect(problems({ steps: [step("first", { dependsOn: ["second"] }), step("second")] })).toEqual([
      expect.stringMatching(
        /^dependency cycle in the top-level steps: (first → second → first|second → first → second)/,
      ),
    ]);
  });

  it("sees a cycle made through the steps an if reads", () => {
    expect(
      problems({
        mode: "dag",
        steps: [step("a", { if: 'steps.b.phase == "Succeeded"' }), step("b", { dependsOn: ["a"] })],
      }),
    ).toEqual([expect.stringMatching(/^dependency cycle in the top-level steps: /)]);
  });

  it("rejects unknown step types, listing the registered ones", () => {
    expect(problems({ steps: [step("a", { type: "deploy" })] })).toEqual([
      'step "a": unknown type "deploy"; registered types: fail, group, suspend, wait, work',
    ]);
  });

  it("rejects CEL that does not compile, is not a bool, or reads an unknown variable", () => {
    const found = problems({
      mode: "dag",
      steps: [
        step("a", { if: "steps.x.phase ==" }),
        step("b", { if: '"yes"' }),
        step("c", { if: "nope == 1" }),
      ],
    });
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^step "a": if "steps.x.phase ==" does not compile: /);
    expect(found[1]).toBe(
      'step "b": if "\\"yes\\"" does not compile: the expression has type string; it must be a bool',
    );
    expect(found[2]).toMatch(/^step "c": if "nope == 1" does not compile: Unknown variable: nope/);
  });

  it("rejects an if that reads a missing step, itself, its group, its sub-step, or a finally step", () => {
    const found = problems({
      mode: "dag",
      steps: [
        step("a", { if: 'steps.ghost.phase == "Succeeded"' }),
        step("b", { if: 'steps.b.phase == "Pending"' }),
        {
          name: "g",
          type: "group",
          if: 'steps.inner.phase == "Pending"',
          group: { steps: [step("inner", { if: 'steps.g.phase == "Running"' })] },
        },
        step("c", { if: 'steps.cleanup.phase == "Succeeded"' }),
      ],
      finally: [step("cleanup", { if: 'steps.a.phase == "Succeeded"' })],
    });
    expect(found).toEqual([
      'step "a": if reads steps.ghost, but no step has that name',
      'step "b": if reads steps.b, its own state; an if is decided before the step runs',
      'step "g": if reads steps.inner, one of its own sub-steps, which cannot have run when the group starts',
      'step "inner": if reads steps.g, its enclosing group, which is still running while its sub-steps start',
      'step "c": if reads steps.cleanup, a finally step; finally steps run only after all main steps',
    ]);
  });

  it("rejects bad durations, retry policies and group shapes", () => {
    const found = problems({
      steps: [
        step("a", { timeout: "5 minutes" }),
        step("b", { retry: { limit: -1, backoff: { initial: "2m", factor: 0.5, max: "1m" } } }),
        { name: "g", type: "group" },
        { name: "h", type: "group", retry: { limit: 1 }, group: { steps: [] } },
        step("c", { group: { steps: [] } }),
      ],
      pollInterval: 0,
    });
    expect(found).toEqual([
      'step "a": timeout "5 minutes" is not a duration; use "250ms", "30s", "10m", "1h30m", "2d" or an integer number of seconds',
      'step "b": retry.limit must be an integer from 0 to 1000, not -1',
      'step "b": retry.backoff.factor must be from 1 to 100',
      'step "b": retry.backoff.max must not be shorter than backoff.initial',
      'step "g": type "group" needs group: {mode?, steps: [...]}',
      'step "h": a group cannot be retried as a whole; set retry on its sub-steps',
      'step "c": only steps of type "group" have sub-steps; set type: group or remove group',
      "pollInterval must be longer than 0",
    ]);
  });

  it("checks the properties of built-in step types", () => {
    expect(
      problems({
        steps: [
          { name: "w", type: "wait" },
          { name: "s", type: "suspend", properties: { duration: "soon" } },
          { name: "f", type: "fail", properties: { message: 3 } },
        ],
      }),
    ).toEqual([
      'step "w" (type wait): set exactly one of properties.until and properties.duration',
      'step "s" (type suspend): properties.duration "soon" is not a duration; use "250ms", "30s", "10m", "1h30m", "2d" or an integer number of seconds',
      'step "f" (type fail): properties.message must be a string',
    ]);
  });

  it("reports shape errors with their path (for definitions read from JSON)", () => {
    const found = validateDefinition(
      { steps: [{ name: "a", type: "work", dependsOn: "b" }], mood: 1 },
      registry,
    );
    expect(found).toContain("steps.0.dependsOn: Invalid input: expected array, received string");
    expect(found.some((problem) => problem.includes("mood"))).toBe(true);
    expect(
      validateDefinition(
        { steps: [{ name: "a", type: "work", properties: { replicas: undefined } }] },
        registry,
      ),
    ).toEqual([
      "steps.0.properties.replicas: must be a JSON value (no undefined, functions, Dates, NaN or Infinity)",
    ]);
  });

  it("stops the run before the first tick: startRun rejects graph errors, tick rejects unknown types", async () => {
    expect(() => startRun({ steps: [step("a"), step("a")] }, "r", 0)).toThrow(WorkflowDefinitionError);
    const unknownType: WorkflowDefinition = { steps: [step("a", { type: "nope" })] };
    const state = startRun(unknownType, "r", 0);
    await expect(tick(unknownType, state, 0, registry)).rejects.toThrow(/step "a": unknown type "nope"/);
  });

  it("compiles each CEL expression once, whatever definition it appears in", () => {
    const first = compileCondition('steps.a.phase == "Succeeded"');
    expect(compileCondition('steps.a.phase == "Succeeded"')).toBe(first);
    expect(first.ok && first.condition.stepRefs).toEqual(["a"]);
  });

  it("freezes a definition once compiled, so it cannot change under a running run", () => {
    const definition = { steps: [step("a", { properties: { replicas: 1 } })] };
    expect(problems(definition)).toEqual([]);
    expect(() => {
      (definition.steps[0]?.properties as { replicas: number }).replicas = 2;
    }).toThrow(TypeError);
  });
});
