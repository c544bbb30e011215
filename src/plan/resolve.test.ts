/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are mutated freely */
import { describe, expect, it } from "vitest";
import { parseRollout } from "../api/parse.ts";
import { validRollout } from "../api/testdata/fixtures.ts";
import type { Rollout } from "../api/rollout.ts";
import { resolveRollout } from "./resolve.ts";

function rollout(mutate: (canary: Record<string, any>) => void = () => {}): Rollout {
  const r = validRollout();
  mutate(r.spec["strategy"].canary);
  const parsed = parseRollout(r);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

describe("resolveRollout", () => {
  it("resolves the SPEC example at 10 replicas", () => {
    const plan = resolveRollout(rollout().spec, 10);
    expect(plan.steps).toEqual([
      { step: 1, canaryReplicas: 1, stableReplicas: 9, traffic: 5, analysis: [], pause: { kind: "none" } },
      {
        step: 2,
        canaryReplicas: 5,
        stableReplicas: 5,
        traffic: 50,
        analysis: ["success-rate"],
        pause: { kind: "duration", seconds: 600 },
      },
      {
        step: 3,
        canaryReplicas: 10,
        stableReplicas: 0,
        // A step that moves every pod sets no weight: all traffic to the canary (src/plan/traffic.ts).
        traffic: 100,
        analysis: [],
        pause: { kind: "approval" },
      },
    ]);
    expect(plan.backgroundAnalysis).toEqual({ templates: ["error-budget"], startingStep: 1 });
    expect(plan.remainingAfterLastStep).toBe(0);
    expect(plan.warnings).toEqual([]);
  });

  it("has no traffic column without trafficRouting, and reports pods left for the workload", () => {
    const plan = resolveRollout(
      rollout((c) => {
        delete c["trafficRouting"];
        delete c["analysis"];
        c["steps"] = [
          { replicas: 1 },
          { replicas: "40%", analysis: { templates: [{ name: "g", clusterScope: true }] } },
        ];
      }).spec,
      5,
    );
    expect(plan.steps.map((s) => [s.canaryReplicas, s.stableReplicas, s.traffic, s.analysis])).toEqual([
      [1, 4, null, []],
      [2, 3, null, ["cluster/g"]],
    ]);
    expect(plan.remainingAfterLastStep).toBe(3);
    expect(plan.backgroundAnalysis).toBeNull();
  });

  it("reports mixed units that decrease at this size as errors, naming both steps and the fix", () => {
    const spec = rollout((c) => {
      c["steps"] = [{ replicas: "50%" }, { replicas: 3 }, { replicas: "100%" }];
    }).spec;
    expect(resolveRollout(spec, 4).errors).toEqual([]);
    const at10 = resolveRollout(spec, 10);
    expect(at10.warnings).toEqual([]);
    expect(at10.errors).toEqual([
      {
        path: "spec.strategy.canary.steps[1].replicas",
        message:
          'step 2 (3) is 3 pod(s) at 10 replicas, fewer than step 1 ("50%" = 5 pod(s)): the canary would shrink; raise step 2 to at least 5 pod(s) or reorder the steps',
      },
    ]);
  });

  it("at 0 replicas every step is empty and says why", () => {
    const plan = resolveRollout(rollout().spec, 0);
    expect(plan.steps.every((s) => s.canaryReplicas === 0 && s.stableReplicas === 0)).toBe(true);
    expect(plan.warnings.map((w) => w.path)).toEqual(["spec.replicas"]);
  });
});
