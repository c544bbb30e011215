import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canaryReplicasFor } from "./batch-size.ts";
import { shrinkingSteps } from "./step-order.ts";

describe("shrinkingSteps", () => {
  it("finds a later step below the largest earlier one, in mixed units, at this size only", () => {
    const steps = [5, "30%", "100%"];
    expect(shrinkingSteps(steps, 20)).toEqual([]); // 5, 6, 20
    expect(shrinkingSteps(steps, 10)).toEqual([
      {
        step: 2,
        pods: 3,
        earlierStep: 1,
        earlierPods: 5,
        message:
          'step 2 ("30%") is 3 pod(s) at 10 replicas, fewer than step 1 (5 = 5 pod(s)): the canary would shrink; raise step 2 to at least 5 pod(s) or reorder the steps',
      },
    ]);
  });

  it("compares with the largest earlier step, not only the previous one", () => {
    const found = shrinkingSteps(["60%", 2, 3, "100%"], 10); // 6, 2, 3, 10
    expect(found.map((s) => [s.step, s.earlierStep, s.pods, s.earlierPods])).toEqual([
      [2, 1, 2, 6],
      [3, 1, 3, 6],
    ]);
  });

  it("reads parsed replicas (the controller's EffectiveStep) like written ones", () => {
    const parsed = [
      { kind: "int", value: 5 },
      { kind: "percent", value: 30 },
    ] as const;
    expect(shrinkingSteps(parsed, 10)[0]?.message).toContain('step 2 ("30%") is 3 pod(s)');
  });

  it("flags exactly the steps whose pod count is below an earlier step's (property)", () => {
    const replicas = fc.oneof(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`),
    );
    fc.assert(
      fc.property(
        fc.array(replicas, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 60 }),
        (steps, n) => {
          const pods = steps.map((r) => canaryReplicasFor(r, n));
          const expected = pods.flatMap((p, i) =>
            i > 0 && p < Math.max(...pods.slice(0, i)) ? [i + 1] : [],
          );
          expect(shrinkingSteps(steps, n).map((s) => s.step)).toEqual(expected);
        },
      ),
    );
  });
});
