// The controller refuses a release whose steps (mixed units) shrink the canary at the live replica count,
// before it moves a pod, instead of moving pods back to stable (docs/decisions/cli-shrinking-steps.md).
import { describe, expect, it } from "vitest";
import { ANNOTATION_RETRY } from "../api/names.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const SHRINKING = [{ replicas: 5 }, { replicas: "30%", pause: {} }, { replicas: "100%" }];
const WHY =
  'step 2 ("30%") is 3 pod(s) at 10 replicas, fewer than step 1 (5 = 5 pod(s)): the canary would shrink; ' +
  "raise step 2 to at least 5 pod(s) or reorder the steps";

async function released(replicas: number): Promise<Driver> {
  const d = new Driver(
    new FakeWorld(testRollout({ steps: SHRINKING, progressDeadlineSeconds: 60 }), replicas),
  );
  await d.quiet();
  d.world.setTemplate("v2");
  return d;
}

describe("steps that shrink the canary at the live replica count", () => {
  it("abort the release at step 1 before any canary pod exists; status and a Warning Event name both steps", async () => {
    const d = await released(10);
    await d.until(() => d.world.status?.phase === "Aborted" && d.world.status.history !== undefined);
    expect(d.world.writes.filter((w) => w.op === "scale" && w.revision === "v2" && w.to > 0)).toEqual([]);
    expect(d.world.podsOf("v2")).toBe(0);
    expect(d.world.status?.message).toContain(
      `aborted at step 1/3: the steps shrink the canary at 10 replicas: ${WHY}`,
    );
    expect(d.world.events).toContainEqual({
      type: "Warning",
      reason: "StepFailed",
      message: `step 1/3: the steps shrink the canary at 10 replicas: ${WHY}`,
    });
  });

  it("release normally at a size where the same steps grow (20 replicas: 5, 6, 20)", async () => {
    const d = await released(20);
    await d.until(
      () => d.world.status?.currentStepIndex === 2 && d.world.status.currentStepState === "Paused",
    );
    expect(d.world.podsOf("v2")).toBe(6);
    expect(d.world.events.some((e) => e.reason === "StepFailed")).toBe(false);
  });

  it("after the steps are fixed, retry releases from step 1", async () => {
    const d = await released(10);
    await d.until(() => d.world.status?.phase === "Aborted" && d.world.status.history !== undefined);
    d.world.rollout = testRollout({
      steps: [{ replicas: 2 }, ...SHRINKING.slice(1)],
      progressDeadlineSeconds: 60,
    });
    d.world.annotations[ANNOTATION_RETRY] = "fixed";
    await d.until(
      () => d.world.status?.currentStepIndex === 2 && d.world.status.currentStepState === "Paused",
    );
    expect(d.world.podsOf("v2")).toBe(3);
  });
});
