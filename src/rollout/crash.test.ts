// Crash safety of the reconciler: a controller killed at any point (after its workload writes but before its
// status write, or before it removed a consumed action) and restarted ends every release in the same state,
// never re-does a batch, never needs an approval twice and never restarts a timed pause.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE, ANNOTATION_APPROVED_BY } from "../api/names.ts";
import { testRollout } from "./testing/rollout-fixture.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";

const ROLLOUT = testRollout();

interface Trace {
  readonly canaryTargets: number[];
  readonly approvals: number;
  readonly pauseSeconds: number;
  readonly history: string[];
}

/** Runs one release to the end; `crashAt(i)` decides whether the i-th reconcile is killed. */
async function release(crashAt: (i: number) => "status" | "metadata" | undefined): Promise<Trace> {
  const d = new Driver(new FakeWorld(ROLLOUT, 10));
  await d.quiet();
  d.world.setTemplate("v2");
  let approvals = 0;
  let timedPauseStart: number | undefined;
  let timedPauseEnd: number | undefined;
  for (let i = 0; i < 400 && (d.world.status?.history?.length ?? 0) === 0; i++) {
    const s = d.world.status;
    if (
      s?.currentStepIndex === 2 &&
      s.currentStepState === "Paused" &&
      d.world.annotations[ANNOTATION_APPROVE] === undefined
    ) {
      const approvedBefore = s.steps?.[1]?.approvedBy !== undefined;
      if (!approvedBefore) {
        d.world.annotations[ANNOTATION_APPROVE] = "2";
        d.world.annotations[ANNOTATION_APPROVED_BY] = "alice";
        approvals++;
      }
    }
    if (s?.currentStepIndex === 3 && s.currentStepState === "Paused") timedPauseStart ??= d.now;
    if (timedPauseStart !== undefined && s?.currentStepIndex === 4) timedPauseEnd ??= d.now;
    const crash = crashAt(i);
    if (crash === "status") d.world.crashBeforeStatus = true;
    if (crash === "metadata") d.world.crashBeforeMetadata = true;
    const before = JSON.stringify([d.world.rollout.status, [...d.world.workload.pods], d.world.annotations]);
    const result = await d.once();
    d.world.crashBeforeStatus = false;
    d.world.crashBeforeMetadata = false;
    const after = JSON.stringify([d.world.rollout.status, [...d.world.workload.pods], d.world.annotations]);
    if (result !== "crashed" && before === after && result.requeueAfterMs !== undefined)
      d.now += result.requeueAfterMs;
  }
  expect(d.world.status?.phase).toBe("Healthy");
  const canaryTargets = d.world.writes.flatMap((w) =>
    w.op === "scale" && w.revision === "v2" ? [w.to] : [],
  );
  return {
    canaryTargets,
    approvals,
    pauseSeconds: ((timedPauseEnd ?? 0) - (timedPauseStart ?? 0)) / 1000,
    history: (d.world.status?.history ?? []).map((h) => `${h.revision}:${h.outcome}`),
  };
}

describe("a controller killed at random points", () => {
  it("ends the release exactly as an uninterrupted one: same batches, one approval, timed pause not restarted", async () => {
    const reference = await release(() => undefined);
    expect(reference.canaryTargets).toEqual([1, 3, 6, 10]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(60), fc.constantFrom("status" as const, "metadata" as const)), {
          minLength: 1,
          maxLength: 12,
        }),
        async (kills) => {
          const plan = new Map(kills);
          const trace = await release((i) => plan.get(i));
          expect(trace.canaryTargets).toEqual(reference.canaryTargets);
          expect(trace.approvals).toBe(1);
          expect(trace.pauseSeconds).toBeLessThanOrEqual(reference.pauseSeconds + 1);
          expect(trace.history).toEqual(reference.history);
        },
      ),
      { numRuns: 60, seed: 20240501 },
    );
  }, 120_000);
});
