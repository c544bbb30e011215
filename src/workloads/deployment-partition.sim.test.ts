// Partition style against a simulated cluster: every step of every plan keeps total pods ≤ N + maxSurge
// and available pods ≥ N − maxUnavailable, and the paused Deployment controller never has a reason to act.

import { describe, expect, it } from "vitest";
import { driveToCompletion, PartitionSim, type SimOptions } from "./testing/partition-sim.ts";

const BOUNDS: readonly (readonly [number | string, number | string])[] = [
  ["25%", "25%"], // Kubernetes' default
  [0, 1],
  [1, 0],
  [0, "25%"], // rounds to 0/0 below N=4 → maxUnavailable 1
  ["100%", 0],
  [0, "100%"],
  [2, 3],
  ["50%", "50%"],
];

function stepPlans(n: number): number[][] {
  const pct = (p: number) => Math.min(n, Math.max(1, Math.ceil((n * p) / 100)));
  return [
    [1, pct(30), pct(60), n], // the plan: 1 / 30% / 60% / 100%
    [n], // straight to 100%
    Array.from({ length: n }, (_, i) => i + 1), // one pod at a time
  ];
}

function forward(sim: PartitionSim, target: number): void {
  driveToCompletion(sim, (observed) => {
    const plan = observed.planBatch(target, 0);
    return { writes: plan.writes, finished: plan.ready };
  });
}

function abort(sim: PartitionSim): void {
  driveToCompletion(sim, (observed) => {
    const plan = observed.planAbort();
    return { writes: plan.writes, finished: plan.done };
  });
}

describe("partition style keeps the original bounds at every intermediate step", () => {
  for (const [maxSurge, maxUnavailable] of BOUNDS) {
    it(`maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable}, N = 1..12, every step plan, then abort`, () => {
      let cases = 0;
      for (let n = 1; n <= 12; n++) {
        for (const steps of stepPlans(n)) {
          for (const minReadySeconds of [0, 5]) {
            const options: SimOptions = { replicas: n, maxSurge, maxUnavailable, minReadySeconds };
            const sim = new PartitionSim(options);
            for (const target of steps) {
              forward(sim, target);
              expect(sim.split(), `N=${n} steps=${steps} target ${target}`).toEqual({
                canary: target,
                rest: n - target,
              });
            }
            abort(sim);
            expect(sim.split(), `N=${n} abort`).toEqual({ canary: 0, rest: n });
            const held = sim.observe().snapshot;
            expect(held.held, "still held on the canary template after abort").toBe(true);
            expect(sim.violations, `N=${n} steps=${steps}`).toEqual([]);
            cases++;
          }
        }
      }
      expect(cases).toBe(12 * 3 * 2);
    });
  }
});

describe("a broken release", () => {
  it("never reports the batch ready, and abort removes the unready canary pods at once", () => {
    for (let n = 1; n <= 12; n++) {
      const sim = new PartitionSim({
        replicas: n,
        maxSurge: "25%",
        maxUnavailable: "25%",
        brokenCanary: true,
      });
      const target = Math.min(n, 3);
      for (let round = 0; round < 20; round++) {
        const plan = sim.observe().planBatch(target, 0);
        expect(plan.ready).toBe(false);
        for (const write of plan.writes) if (sim.apply(write)) sim.syncReplicaSets();
        sim.makeReady();
        sim.advance(1000);
      }
      expect(sim.split().canary).toBeGreaterThan(0);
      abort(sim);
      expect(sim.split()).toEqual({ canary: 0, rest: n });
      expect(sim.violations).toEqual([]);
    }
  });

  it("counts as ready when the unready pods are within failureThreshold", () => {
    const sim = new PartitionSim({
      replicas: 10,
      maxSurge: "25%",
      maxUnavailable: "25%",
      brokenCanary: true,
    });
    let ready = false;
    for (let round = 0; round < 30 && !ready; round++) {
      const plan = sim.observe().planBatch(2, 2);
      ready = plan.ready;
      for (const write of plan.writes) if (sim.apply(write)) sim.syncReplicaSets();
      sim.makeReady();
    }
    expect(ready).toBe(true);
    expect(sim.split()).toEqual({ canary: 2, rest: 8 });
    expect(sim.violations).toEqual([]);
  });
});

describe("minReadySeconds", () => {
  it("a retry right after an abort does not count stable pods that are ready but not yet available", () => {
    const sim = new PartitionSim({ replicas: 10, maxSurge: 0, maxUnavailable: 3, minReadySeconds: 30 });
    forward(sim, 5);
    // Abort: stable scales back up; its new pods turn ready but stay unavailable for 30 s.
    for (let round = 0; round < 50 && sim.split().canary > 0; round++) {
      sim.makeReady();
      sim.advance(10_000);
      for (const write of sim.observe().planAbort().writes) if (sim.apply(write)) sim.syncReplicaSets();
    }
    sim.makeReady();
    expect(sim.split()).toEqual({ canary: 0, rest: 10 });
    const before = sim.counts().available;
    expect(before).toBeLessThan(10);
    // Retry at once: scale-downs may only spend availability that is certain.
    for (const write of sim.observe().planBatch(5, 0).writes) if (sim.apply(write)) sim.syncReplicaSets();
    expect(sim.violations).toEqual([]);
  });
});
