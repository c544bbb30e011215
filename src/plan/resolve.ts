// Resolves a Rollout against a replica count: what each step does to pods, traffic, gates and pauses.
// `slipway plan` prints it; the controller uses the same numbers (through canaryReplicasFor).
import { withDefaults, type EffectiveRolloutSpec, type Pause } from "../api/defaults.ts";
import type { Problem } from "../api/problems.ts";
import type { AnalysisTemplateRef, RolloutSpec } from "../api/rollout.ts";
import { canaryReplicasFor } from "./batch-size.ts";
import { shrinkingSteps } from "./step-order.ts";
import { trafficByStep } from "./traffic.ts";

export interface PlannedStep {
  /** 1-based, as in status.currentStepIndex. */
  readonly step: number;
  readonly canaryReplicas: number;
  readonly stableReplicas: number;
  /** Traffic % on the canary after this step; null without trafficRouting (pods share requests). */
  readonly traffic: number | null;
  /** Step gate templates; cluster-scoped ones are written `cluster/<name>`. */
  readonly analysis: readonly string[];
  readonly pause: Pause;
}

export interface Plan {
  readonly replicas: number;
  readonly steps: readonly PlannedStep[];
  readonly backgroundAnalysis: {
    readonly templates: readonly string[];
    readonly startingStep: number;
  } | null;
  /** Pods the workload's own strategy moves after the last step (the release completes). */
  readonly remainingAfterLastStep: number;
  readonly warnings: readonly Problem[];
  /** Steps that shrink the canary at this size: the controller refuses such a release (step-order.ts). */
  readonly errors: readonly Problem[];
}

export function templateLabel(ref: AnalysisTemplateRef): string {
  return ref.clusterScope ? `cluster/${ref.name}` : ref.name;
}

/** Resolves a spec that parseRollout accepted against `replicas` pods. */
export function resolveRollout(spec: RolloutSpec, replicas: number): Plan {
  return resolveEffective(withDefaults(spec), replicas, spec);
}

function resolveEffective(effective: EffectiveRolloutSpec, replicas: number, spec: RolloutSpec): Plan {
  const routed = effective.trafficRouting !== null;
  const traffic = trafficByStep(effective.steps);
  const steps = effective.steps.map((step, i): PlannedStep => {
    const canary = canaryReplicasFor(step.replicas, replicas);
    return {
      step: i + 1,
      canaryReplicas: canary,
      stableReplicas: replicas - canary,
      traffic: routed ? (traffic[i] ?? 0) : null,
      analysis: (step.analysis?.templates ?? []).map(templateLabel),
      pause: step.pause,
    };
  });
  const bg = effective.backgroundAnalysis;
  return {
    replicas,
    steps,
    backgroundAnalysis: bg
      ? { templates: bg.templates.map(templateLabel), startingStep: bg.startingStep }
      : null,
    remainingAfterLastStep: replicas - (steps[steps.length - 1]?.canaryReplicas ?? 0),
    warnings: zeroReplicasWarning(replicas),
    errors: decreasingStepsAt(spec, replicas),
  };
}

function zeroReplicasWarning(replicas: number): Problem[] {
  if (replicas > 0) return [];
  return [
    {
      path: "spec.replicas",
      message: "the workload has 0 replicas: a release passes unchanged and no step runs",
    },
  ];
}

/**
 * Steps whose pod count at this size is lower than an earlier step's. Same-unit decreases are refused
 * at admission; mixed units ("50%" then 3) can only be judged at a given size, which is this check.
 */
export function decreasingStepsAt(spec: RolloutSpec, replicas: number): Problem[] {
  return shrinkingSteps(
    spec.strategy.canary.steps.map((s) => s.replicas),
    replicas,
  ).map((s) => ({ path: `spec.strategy.canary.steps[${s.step - 1}].replicas`, message: s.message }));
}
