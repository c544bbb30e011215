import { describe, expect, it } from "vitest";
import { withDefaults } from "../api/defaults.ts";
import { validateDefinition } from "../workflow/index.ts";
import { compileRelease, compileRollback, parseStepName } from "./compile.ts";
import { registryForValidation } from "./steps/registry.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const names = (steps: readonly { name: string; group?: { steps: readonly { name: string }[] } }[]) =>
  steps.map((s) => (s.group ? [s.name, s.group.steps.map((c) => c.name)] : s.name));

describe("compiling a release into a workflow", () => {
  it("emits upgrade and (when present) pause per step, and the ordered finish/abort as finally", () => {
    const def = compileRelease(withDefaults(testRollout().spec));
    expect(names(def.steps)).toEqual([
      ["step-1", ["step-1.upgrade"]],
      ["step-2", ["step-2.upgrade", "step-2.pause"]],
      ["step-3", ["step-3.upgrade", "step-3.pause"]],
      ["step-4", ["step-4.upgrade"]],
    ]);
    expect(def.finally?.map((s) => [s.name, s.if])).toEqual([
      ["finish", 'workflow.phase == "Succeeded"'],
      ["abort", 'workflow.phase != "Succeeded"'],
    ]);
    const pause3 = def.steps[2]?.group?.steps[1];
    expect(pause3?.properties).toEqual({ step: 3, seconds: 5 });
    expect(def.steps[1]?.group?.steps[0]?.properties).toEqual({ step: 2, replicas: "30%" });
    expect(validateDefinition(def, registryForValidation())).toEqual([]);
  });

  it("adds traffic and parallel analysis gates only for Rollouts that use them, carrying the weight forward", () => {
    const spec = testRollout({
      steps: [
        { replicas: 1, traffic: "5%", analysis: { templates: [{ name: "a" }, { name: "b" }] } },
        { replicas: "50%" },
      ],
      trafficRouting: { service: "web", nginx: { ingress: "web" } },
    }).spec;
    const def = compileRelease(withDefaults(spec));
    expect(names(def.steps)).toEqual([
      ["step-1", ["step-1.upgrade", "step-1.traffic", "step-1.analysis"]],
      ["step-2", ["step-2.upgrade", "step-2.traffic"]],
    ]);
    expect(def.steps[1]?.group?.steps[1]?.properties).toMatchObject({ step: 2, weight: 5 });
    const gates = def.steps[0]?.group?.steps[2]?.group;
    expect(gates?.mode).toBe("dag");
    expect(gates?.steps.map((s) => s.type)).toEqual(["analysis", "analysis"]);
    expect(def.finally?.map((s) => s.name)).toEqual(["finish.traffic", "finish", "abort.traffic", "abort"]);
    // Not registered yet: the controller reports it instead of starting a run.
    expect(validateDefinition(def, registryForValidation()).join(" ")).toContain("traffic");
  });

  it("does not depend on the replica count, and a rollback is traffic back then hand back", () => {
    const spec = withDefaults(testRollout().spec);
    expect(compileRelease(spec)).toEqual(compileRelease(withDefaults(testRollout().spec)));
    expect(compileRollback(spec).steps.map((s) => s.name)).toEqual(["rollback.release"]);
  });

  it("reads step names back", () => {
    expect(parseStepName("step-12.pause")).toEqual({ index: 12, phase: "pause" });
    expect(parseStepName("step-3.analysis.2")).toEqual({ index: 3, phase: "analysis" });
    expect(parseStepName("step-3")).toEqual({ index: 3, phase: "group" });
    expect(parseStepName("finish")).toBeUndefined();
  });
});
