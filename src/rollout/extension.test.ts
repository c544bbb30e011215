// The contract traffic and analysis step types (later issues) plug into, exercised with stand-ins: the
// controller compiles their steps, shows their results in status and routes approvals to them, unchanged.
import { describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE, ANNOTATION_APPROVED_BY } from "../api/names.ts";
import { succeeded, suspended } from "../workflow/index.ts";
import { STEP_TYPES } from "./compile.ts";
import { stepIndexOf } from "./steps/env.ts";
import { approvalToken } from "./steps/pause.ts";
import { registerStepType } from "./steps/registry.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const metric = {
  metric: "success-rate",
  phase: "Inconclusive" as const,
  measurements: [{ phase: "Inconclusive" as const, value: "NaN", at: "2024-05-01T12:00:00Z" }],
};
const restores: string[] = [];

registerStepType(STEP_TYPES.traffic, () => ({
  run: (ctx) => succeeded({ weight: ctx.properties["weight"] ?? 0 }),
}));
registerStepType(STEP_TYPES.trafficRestore, () => ({ run: (ctx) => (restores.push(ctx.name), succeeded()) }));
registerStepType(STEP_TYPES.analysis, () => ({
  run: (ctx) =>
    ctx.resume !== undefined
      ? succeeded({ metrics: [{ ...metric, phase: "Successful" }] })
      : {
          ...suspended(approvalToken(stepIndexOf(ctx.properties)), {
            reason: "analysis inconclusive: success-rate",
          }),
          memory: { metrics: [metric] },
        },
}));

describe("traffic and analysis step types plugged in", () => {
  it("shift traffic, pause on an inconclusive gate until approved, and restore traffic before finishing", async () => {
    const rollout = testRollout({
      steps: [
        { replicas: 1, traffic: "10%", analysis: { templates: [{ name: "success-rate" }] } },
        { replicas: "100%", traffic: "100%" },
      ],
      trafficRouting: { service: "web", nginx: { ingress: "web" } },
    });
    const d = new Driver(new FakeWorld(rollout, 4));
    await d.quiet();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.phase === "Paused");
    const s = d.world.status!;
    expect(s.currentStepState).toBe("Analyzing");
    expect(s.trafficWeight).toBe(10);
    expect(s.message).toContain("analysis inconclusive");
    expect(s.conditions?.find((c) => c.type === "Paused")?.reason).toBe("AnalysisInconclusive");
    expect(s.steps?.[0]?.analysis?.[0]?.phase).toBe("Inconclusive");

    d.world.annotations[ANNOTATION_APPROVE] = "1";
    d.world.annotations[ANNOTATION_APPROVED_BY] = "alice";
    await d.until(() => d.world.status?.phase === "Healthy");
    expect(d.world.status?.steps?.[0]?.analysis?.[0]?.phase).toBe("Successful");
    expect(d.world.status?.trafficWeight).toBe(0);
    expect(restores).toEqual(["finish.traffic"]);
    expect(d.world.podsOf("v2")).toBe(4);
  });
});
