import { describe, expect, it } from "vitest";
import { withDefaults } from "../api/defaults.ts";
import { ANNOTATION_APPROVE, ANNOTATION_APPROVED_BY } from "../api/names.ts";
import type { Rollout } from "../api/rollout.ts";
import type { WorkflowState } from "../workflow/index.ts";
import { compileRelease } from "./compile.ts";
import { waitingBatch } from "./follow-replicas.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const halfThenAll = (): Rollout =>
  testRollout({ steps: [{ replicas: "50%", pause: {} }, { replicas: "100%" }] });

async function pausedAtStep1(r: Rollout = halfThenAll(), replicas = 10): Promise<Driver> {
  const d = new Driver(new FakeWorld(r, replicas));
  await d.quiet();
  d.world.setTemplate("v2");
  await d.until(() => d.world.status?.currentStepState === "Paused" && d.world.status.currentStepIndex === 1);
  return d;
}

const stepOf = (d: Driver) => [d.world.status?.currentStepIndex, d.world.status?.currentStepState];
const pods = (d: Driver) => [d.world.podsOf("v2"), d.world.podsOf("v1")];

describe("a step waiting for approval follows the workload's spec.replicas (SPEC §5.2)", () => {
  it("scales 10→4→8 while paused: the batch is recomputed, the pause stays, approve completes at 8", async () => {
    const d = await pausedAtStep1();
    expect(pods(d)).toEqual([5, 5]);

    d.world.workload.replicas = 4;
    await d.quiet();
    expect(pods(d)).toEqual([2, 2]);
    expect(stepOf(d)).toEqual([1, "Paused"]);
    expect([d.world.status?.canaryReplicas, d.world.status?.stableReplicas]).toEqual([2, 2]);
    // Time passing changes nothing: no approval was consumed, no step skipped.
    d.now += 3_600_000;
    await d.quiet();
    expect(stepOf(d)).toEqual([1, "Paused"]);

    d.world.workload.replicas = 8;
    await d.quiet();
    expect(pods(d)).toEqual([4, 4]);
    expect(stepOf(d)).toEqual([1, "Paused"]);
    expect(d.world.maxRevisionsAtOnce).toBe(2);

    d.world.annotations[ANNOTATION_APPROVE] = "1";
    d.world.annotations[ANNOTATION_APPROVED_BY] = "alice";
    await d.until(() => d.world.status?.phase === "Healthy");
    expect(pods(d)).toEqual([8, 0]);
    expect(d.world.status?.history?.map((h) => h.outcome)).toEqual(["Succeeded"]);
  });

  it("does not move pods while spec.paused freezes the release, and catches up once resumed", async () => {
    const d = await pausedAtStep1();
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, paused: true } };
    await d.quiet();
    d.world.workload.replicas = 4;
    await d.quiet();
    expect(pods(d)).toEqual([5, 5]);
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, paused: false } };
    await d.quiet();
    expect(pods(d)).toEqual([2, 2]);
    expect(stepOf(d)).toEqual([1, "Paused"]);
  });

  it("leaves the pods alone when the steps would shrink at the new size (the next batch reports it)", async () => {
    // Step 1 (3 pods) then step 2 (50%): at 4 replicas step 2 is 2 pods, fewer than step 1.
    const r = testRollout({ steps: [{ replicas: 3 }, { replicas: "50%", pause: {} }, { replicas: "100%" }] });
    const d = new Driver(new FakeWorld(r, 10));
    await d.quiet();
    d.world.setTemplate("v2");
    await d.until(
      () => d.world.status?.currentStepState === "Paused" && d.world.status.currentStepIndex === 2,
    );
    expect(pods(d)).toEqual([5, 5]);
    d.world.workload.replicas = 4;
    await d.quiet();
    expect(pods(d)).toEqual([5, 5]);
  });
});

describe("waitingBatch", () => {
  const definition = compileRelease(withDefaults(halfThenAll().spec));
  const run = (steps: WorkflowState["steps"], phase: WorkflowState["phase"] = "Suspended") =>
    ({ phase, steps }) as unknown as WorkflowState;

  it("names the step whose upgrade succeeded and which still waits", () => {
    const state = run({
      "step-1": { phase: "Suspended" },
      "step-1.upgrade": { phase: "Succeeded" },
      "step-1.pause": { phase: "Suspended", token: "approve-1" },
    });
    expect(waitingBatch(state, definition)).toEqual({ index: 1, replicas: "50%" });
  });

  it("is undefined while the upgrade runs, once the step is done, and when the run finishes", () => {
    expect(
      waitingBatch(
        run({ "step-1": { phase: "Running" }, "step-1.upgrade": { phase: "Running" } }, "Running"),
        definition,
      ),
    ).toBeUndefined();
    const done = {
      "step-1": { phase: "Succeeded" },
      "step-1.upgrade": { phase: "Succeeded" },
      "step-1.pause": { phase: "Succeeded" },
    } as const;
    expect(waitingBatch(run(done, "Running"), definition)).toBeUndefined();
    expect(
      waitingBatch(
        run(
          {
            ...done,
            "step-2": { phase: "Succeeded" },
            "step-2.upgrade": { phase: "Succeeded" },
            finish: { phase: "Running" },
          },
          "Running",
        ),
        definition,
      ),
    ).toBeUndefined();
  });
});
