// How the traffic steps (src/traffic) are woven into a compiled release: pin before the first pod moves,
// each step's traffic after its pods, the pin released before a step that moves every pod, and the
// finally/rollback order of SPEC §5.5–§5.6.
import { describe, expect, it } from "vitest";
import { withDefaults } from "../api/defaults.ts";
import { parseRollout } from "../api/parse.ts";
import { validateDefinition, type StepDefinition } from "../workflow/index.ts";
import { compileRelease, compileRollback } from "./compile.ts";
import { currentPhaseOf } from "./run-view.ts";
import { registryForValidation } from "./steps/registry.ts";

function spec(steps: unknown[]) {
  const parsed = parseRollout({
    apiVersion: "rollouts.slipway.dev/v1alpha1",
    kind: "Rollout",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      strategy: { canary: { steps, trafficRouting: { service: "web", nginx: { ingress: "web" } } } },
    },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return withDefaults(parsed.value.spec);
}

const flat = (steps: readonly StepDefinition[]): string[] =>
  steps.flatMap((s) =>
    s.group === undefined ? [`${s.name} ${JSON.stringify(s.properties ?? {})}`] : flat(s.group.steps),
  );

describe("traffic in a compiled release", () => {
  it("pins before step 1's pods move, shifts after each step's pods, releases the pin before the step that moves every pod", () => {
    const definition = compileRelease(
      spec([
        { replicas: 1, traffic: "5%", matches: [{ headers: [{ name: "x-canary", value: "true" }] }] },
        { replicas: "50%", traffic: "50%", pause: {} },
        { replicas: "100%" },
      ]),
    );
    expect(validateDefinition(definition, registryForValidation())).toEqual([]);
    expect(flat(definition.steps)).toEqual([
      'step-1.traffic.pin {"step":1,"weight":0,"matches":[]}',
      'step-1.upgrade {"step":1,"replicas":1}',
      'step-1.traffic {"step":1,"weight":5,"matches":[{"headers":[{"name":"x-canary","value":"true","type":"Exact"}]}]}',
      'step-2.upgrade {"step":2,"replicas":"50%"}',
      'step-2.traffic {"step":2,"weight":50,"matches":[]}',
      'step-2.pause {"step":2}',
      'step-3.traffic.unpin {"mode":"unpin"}',
      'step-3.upgrade {"step":3,"replicas":"100%"}',
      'step-3.traffic {"step":3,"weight":100,"matches":[],"pin":false}',
    ]);
  });

  it("finish removes routing before the workload is released; abort routes to stable before pods move back", () => {
    const definition = compileRelease(spec([{ replicas: 1, traffic: "5%" }]));
    expect(
      (definition.finally ?? []).map((s) => `${s.name} ${s.type} ${JSON.stringify(s.properties ?? {})}`),
    ).toEqual([
      'finish.traffic traffic-restore {"mode":"remove"}',
      "finish finish {}",
      'abort.traffic traffic-restore {"mode":"stable"}',
      "abort abort {}",
    ]);
  });

  it("rollback routes to stable, hands the workload back, then removes the routing", () => {
    const definition = compileRollback(spec([{ replicas: 1, traffic: "5%" }]));
    expect(validateDefinition(definition, registryForValidation())).toEqual([]);
    expect(definition.steps.map((s) => `${s.name} ${JSON.stringify(s.properties ?? {})}`)).toEqual([
      'rollback.traffic {"mode":"stable"}',
      "rollback.release {}",
      'rollback.traffic-cleanup {"mode":"remove"}',
    ]);
  });
});

describe("the pin in status", () => {
  it("shows a waiting pin step as step 1's traffic phase, with its message", () => {
    const run = {
      version: 1 as const,
      runId: "r",
      definitionHash: "h",
      generation: 0,
      phase: "Running" as const,
      startedAt: 0,
      steps: {
        "step-1": { phase: "Running" as const },
        "step-1.traffic.pin": {
          phase: "Running" as const,
          message: "step 1 traffic: Ingress shop/web not found",
        },
      },
    };
    expect(currentPhaseOf(run, 1)).toEqual({ phase: "traffic", state: run.steps["step-1.traffic.pin"] });
  });
});
