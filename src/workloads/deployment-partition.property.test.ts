// Property: whatever order things happen in (plans made before earlier writes took effect, pods becoming ready
// one by one, minReadySeconds half elapsed, a switch to abort at any moment, a retry after it), partition style never exceeds
// N + maxSurge, never drops below N − maxUnavailable available, never wakes the paused Deployment controller,
// plans are idempotent, and the release still converges.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ObservedWorkload, Write } from "./types.ts";
import { driveToCompletion, PartitionSim } from "./testing/partition-sim.ts";

const intOrPercent = fc.oneof(
  fc.integer({ min: 0, max: 4 }),
  fc.constantFrom("0%", "10%", "25%", "50%", "100%"),
);

const scenario = fc.record({
  replicas: fc.integer({ min: 1, max: 12 }),
  maxSurge: intOrPercent,
  maxUnavailable: intOrPercent,
  minReadySeconds: fc.constantFrom(0, 5),
  brokenCanary: fc.boolean(),
  targets: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
  schedule: fc.array(fc.constantFrom("plan", "plan-one", "sync", "ready", "tick", "next", "retry"), {
    maxLength: 80,
  }),
});

type Mode = { kind: "batch"; target: number } | { kind: "abort" };

function writesFor(observed: ObservedWorkload, mode: Mode): readonly Write[] {
  return mode.kind === "abort" ? observed.planAbort().writes : observed.planBatch(mode.target, 0).writes;
}

/** Re-plan and apply (no pod changes) until nothing is left to write; false if that takes more than `rounds`. */
function settlesWithin(sim: PartitionSim, mode: Mode, rounds: number): boolean {
  for (let i = 0; i < rounds; i++) {
    const writes = writesFor(sim.observe(), mode);
    if (writes.length === 0) return true;
    for (const write of writes) sim.apply(write);
  }
  return writesFor(sim.observe(), mode).length === 0;
}

describe("partition style under arbitrary interleavings", () => {
  it("keeps every bound, stays idempotent and converges", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        if (s.maxSurge === 0 && s.maxUnavailable === 0) return; // Kubernetes validation rejects it
        const sim = new PartitionSim(s);
        const targets = s.targets.map((t) => Math.min(t, s.replicas)).sort((a, b) => a - b);
        let step = 0;
        let mode: Mode = { kind: "batch", target: targets[0]! };
        for (const action of s.schedule) {
          switch (action) {
            case "plan":
            case "plan-one": {
              const observed = sim.observe();
              const writes = writesFor(observed, mode);
              // Planning twice on the same observation gives the same writes.
              expect(writesFor(observed, mode)).toEqual(writes);
              const chosen = action === "plan" ? writes : writes.slice(0, 1);
              const cancelsUncreatedPods = chosen.some((w) => sim.lowersSpecBelowPending(w));
              let applied = 0;
              for (const write of chosen)
                if (sim.apply(write)) applied++;
                else break;
              // Once a whole plan of pod moves is applied and nothing else changed, nothing is left to write.
              // (A hold write is a gate: the moves come in the plan after it.) The one exception: a plan that
              // cancels pods not created yet frees surge room it may not spend in the same plan (the ReplicaSet
              // controller could create those pods first), so the next plan may spend it; it then settles.
              const moves = writes.length > 0 && writes.every((w) => w.target.kind === "ReplicaSet");
              if (action === "plan" && applied === writes.length && moves) {
                if (!cancelsUncreatedPods) expect(writesFor(sim.observe(), mode)).toEqual([]);
                else expect(settlesWithin(sim, mode, 3)).toBe(true);
              }
              break;
            }
            case "sync":
              sim.syncReplicaSets();
              break;
            case "ready":
              sim.makeReady(2);
              break;
            case "tick":
              sim.advance(3000);
              break;
            case "retry": // an aborted release restarts from its first step
              if (mode.kind === "abort") {
                step = 0;
                mode = { kind: "batch", target: targets[0]! };
              }
              break;
            case "next":
              step++;
              mode = step < targets.length ? { kind: "batch", target: targets[step]! } : { kind: "abort" };
              break;
          }
        }
        sim.syncReplicaSets();
        if (mode.kind === "batch" && !s.brokenCanary) {
          const target = mode.target;
          driveToCompletion(sim, (o) => {
            const plan = o.planBatch(target, 0);
            return { writes: plan.writes, finished: plan.ready };
          });
          expect(sim.split()).toEqual({ canary: target, rest: s.replicas - target });
        }
        driveToCompletion(sim, (o) => {
          const plan = o.planAbort();
          return { writes: plan.writes, finished: plan.done };
        });
        expect(sim.split()).toEqual({ canary: 0, rest: s.replicas });
        expect(sim.violations).toEqual([]);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});
