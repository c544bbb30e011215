// Steps that would shrink the canary (SPEC §2.1, §5.2, §8: steps must not decrease). Admission compares steps
// of the same unit; a mix ("5" then "30%") can only be judged at a replica count, so `slipway plan` and
// `slipway lint` judge it at a given size and the controller at the live size, before it moves a pod.
import type { IntOrPercent, ParsedIntOrPercent } from "../api/primitives.ts";
import { canaryReplicasFor } from "./batch-size.ts";

export interface ShrinkingStep {
  /** 1-based index of the step that is smaller than an earlier one. */
  readonly step: number;
  readonly pods: number;
  /** The earlier step with the most pods. */
  readonly earlierStep: number;
  readonly earlierPods: number;
  /** `step 2 ("30%") is 3 pod(s) at 10 replicas, fewer than step 1 (5 = 5 pod(s)): …; raise … or reorder`. */
  readonly message: string;
}

type Replicas = IntOrPercent | ParsedIntOrPercent;

function written(r: Replicas): string {
  if (typeof r === "number") return String(r);
  if (typeof r === "string") return JSON.stringify(r);
  return r.kind === "percent" ? `"${r.value}%"` : String(r.value);
}

/** Every step whose pod count at `total` replicas is below the largest of the steps before it. */
export function shrinkingSteps(replicas: readonly Replicas[], total: number): ShrinkingStep[] {
  const out: ShrinkingStep[] = [];
  let most: { step: number; pods: number; replicas: Replicas } | undefined;
  for (const [i, r] of replicas.entries()) {
    const pods = canaryReplicasFor(r, total);
    const step = i + 1;
    if (most !== undefined && pods < most.pods) {
      out.push({
        step,
        pods,
        earlierStep: most.step,
        earlierPods: most.pods,
        message:
          `step ${step} (${written(r)}) is ${pods} pod(s) at ${total} replicas, fewer than step ${most.step} ` +
          `(${written(most.replicas)} = ${most.pods} pod(s)): the canary would shrink; raise step ${step} to ` +
          `at least ${most.pods} pod(s) or reorder the steps`,
      });
    } else {
      most = { step, pods, replicas: r };
    }
  }
  return out;
}
