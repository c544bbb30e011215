// `batch`: the upgrade phase of a step — move pods until the step's canary count is reached and ready
// (SPEC §5.3). Idempotent: every invocation re-plans from what the cluster shows now.
import { canaryReplicasFor } from "../../plan/batch-size.ts";
import { shrinkingSteps } from "../../plan/step-order.ts";
import { failed, succeeded, wait, type StepContext, type StepOutcome } from "../../workflow/index.ts";
import { promotionOf } from "../record.ts";
import type { BatchPlan } from "../../workloads/types.ts";
import { objectOf, stepIndexOf, type StepEnv, type StepTypeFactory } from "./env.ts";

/** Persisted between invocations of one attempt. */
export interface BatchMemory {
  /** When the step first acted; the progress deadline counts from here. */
  readonly acting?: number;
  /** Every write of the batch is made; only readiness is awaited. */
  readonly verifying?: boolean;
}

export function batchMemory(memory: unknown): BatchMemory {
  const m = objectOf(memory as never);
  return {
    ...(typeof m["acting"] === "number" ? { acting: m["acting"] } : {}),
    ...(m["verifying"] === true ? { verifying: true } : {}),
  };
}

export const batchStep: StepTypeFactory = (env) => ({
  validate: (properties) => {
    const r = properties["replicas"];
    return typeof r === "number" || typeof r === "string"
      ? []
      : ["properties.replicas must be an int or a percentage"];
  },
  run: (ctx) => runBatch(env, ctx),
});

async function runBatch(env: StepEnv, ctx: StepContext): Promise<StepOutcome> {
  const index = stepIndexOf(ctx.properties);
  const promotion = promotionOf(env.record);
  if (promotion?.full === true) return succeeded({ promoted: "full" });
  const shrinking = shrinkingFrom(env, index);
  if (shrinking !== undefined) return failed(shrinking);
  const memory = batchMemory(ctx.memory);
  // Persist "step i has started" before the first write: the webhook derives how far a partition may be
  // lowered from status.currentStepIndex, and a restarted controller must know the step began.
  if (memory.acting === undefined) {
    return { ...wait("starting"), memory: { acting: ctx.now } };
  }
  const { target, plan } = planAtLiveSize(env, ctx.properties["replicas"] as number | string);
  const progress = `${plan.progress.updatedReady}/${target} canary pod(s) ready`;
  if (plan.writes.length > 0) {
    const result = await env.apply(plan.writes);
    const note = result.stale ? " (re-reading after a concurrent change)" : "";
    return wait(`moving pods, ${progress}${note}`);
  }
  if (plan.blocked !== undefined) return wait(plan.blocked);
  const promoted = (promotion?.throughStep ?? 0) >= index;
  if (plan.ready || promoted) {
    return succeeded({ canaryReplicas: target, ...(promoted && !plan.ready ? { promoted: "step" } : {}) });
  }
  const outcome = wait(`waiting for ${progress}`);
  return memory.verifying === true ? outcome : { ...outcome, memory: { ...memory, verifying: true } };
}

/** The batch of a step with `replicas` at the workload's live spec.replicas (SPEC §5.2), and its next writes. */
function planAtLiveSize(env: StepEnv, replicas: number | string): { target: number; plan: BatchPlan } {
  const target = canaryReplicasFor(replicas, env.workload.snapshot.replicas);
  const threshold = env.spec.failureThreshold;
  const plan = env.workload.planBatch(
    target,
    threshold.kind === "percent" ? `${threshold.value}%` : threshold.value,
  );
  return { target, plan };
}

/**
 * Step `index` finished its upgrade and waits (traffic, analysis, pause) while the workload's spec.replicas
 * changed: resize the canary and stable sides to the step's batch at the new N, with the same planning (and
 * so the same maxSurge / maxUnavailable bounds) as the upgrade. The run is not touched: a pause stays paused.
 * Nothing moves when a promotion is under way or the steps would shrink at the new N (the next batch reports
 * that). Returns the number of writes applied.
 */
export async function followBatch(env: StepEnv, index: number, replicas: number | string): Promise<number> {
  const promotion = promotionOf(env.record);
  if (promotion?.full === true || (promotion?.throughStep ?? 0) >= index) return 0;
  if (shrinkingFrom(env, index) !== undefined) return 0;
  const { plan } = planAtLiveSize(env, replicas);
  if (plan.writes.length === 0) return 0;
  return (await env.apply(plan.writes)).applied;
}

/**
 * Why the release cannot go on at the live replica count: this step or a later one would have fewer canary
 * pods than an earlier step (steps mixing units; same-unit decreases never pass admission). Checked before
 * each batch moves a pod, so the release stops instead of moving pods back to stable
 * (docs/decisions/cli-shrinking-steps.md).
 */
function shrinkingFrom(env: StepEnv, index: number): string | undefined {
  const total = env.workload.snapshot.replicas;
  const found = shrinkingSteps(
    env.spec.steps.map((s) => s.replicas),
    total,
  ).filter((s) => s.step >= index);
  if (found.length === 0) return undefined;
  return `the steps shrink the canary at ${total} replicas: ${found.map((s) => s.message).join("; ")}`;
}
