// Traffic per step, shared by `slipway plan` and the controller's compiled workflow (so both say the same).
//
// A step without `traffic` keeps the previous step's weight, except a step that moves every pod
// (replicas "100%"): with no stable pod left, the only sensible weight is 100% on the canary. Such a step
// also releases the stable Service's pin before its pods move (docs/traffic.md), so the stable Service never
// loses all its endpoints while it still carries traffic.
import type { EffectiveStep } from "../api/defaults.ts";

/** The step moves every pod to the canary, whatever the replica count. */
export function movesEveryPod(step: Pick<EffectiveStep, "replicas">): boolean {
  return step.replicas.kind === "percent" && step.replicas.value === 100;
}

/** Canary traffic % after each step (0 before the first step that sets one). */
export function trafficByStep(steps: readonly Pick<EffectiveStep, "replicas" | "traffic">[]): number[] {
  let weight = 0;
  return steps.map((step) => {
    if (step.traffic !== null) weight = step.traffic;
    else if (movesEveryPod(step)) weight = 100;
    return weight;
  });
}
