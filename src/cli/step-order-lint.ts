// `slipway lint`: steps that shrink the canary at a replica count (SPEC §2.1, §5.2, §8). With a count known
// (`--replicas N`, or the Rollout's workload among the manifests read) such a step is an error: the controller
// refuses that release. Without one, steps mixing units that shrink at some size get a warning naming it.
import type { Rollout } from "../api/rollout.ts";
import { decreasingStepsAt } from "../plan/resolve.ts";
import { shrinkingSteps } from "../plan/step-order.ts";
import type { Manifest } from "./manifests.ts";
import { replicaCountFor } from "./replica-count.ts";

export interface StepOrderFindings {
  /** `<field path>: <message>` lines, to be prefixed with the Rollout. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** Sizes tried when no replica count is known: enough to find any shrink of steps up to 1000 pods. */
const SIZES_TRIED = 1000;

export function stepOrderFindings(
  rollout: Rollout,
  replicasFlag: string | undefined,
  manifests: readonly Manifest[],
): StepOrderFindings {
  const size = replicaCountFor(rollout, replicasFlag, manifests);
  if ("replicas" in size) {
    const errors = decreasingStepsAt(rollout.spec, size.replicas).map(
      (p) => `${p.path}: ${p.message} (replicas from ${size.from})`,
    );
    return { errors, warnings: [] };
  }
  if ("error" in size) return { errors: [], warnings: [size.error] };
  const replicas = rollout.spec.strategy.canary.steps.map((s) => s.replicas);
  for (let n = 1; n <= SIZES_TRIED; n++) {
    const [first] = shrinkingSteps(replicas, n);
    if (first === undefined) continue;
    return {
      errors: [],
      warnings: [
        `spec.strategy.canary.steps[${first.step - 1}].replicas: the steps mix integers and percentages and ` +
          `shrink the canary at some sizes, e.g. ${first.message}. The controller refuses the release at such ` +
          `a size: lint with --replicas N or with ${size.missing} in the input to check yours`,
      ],
    };
  }
  return { errors: [], warnings: [] };
}
