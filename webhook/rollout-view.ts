// TEMPORARY narrow view of a Rollout: exactly what the webhook reads. Replaced by `Rollout` from src/api
// once branch `api` lands (then this file is deleted).

import { z } from "zod";

const intOrPercent = z.union([z.number(), z.string()]);

const StepSchema = z.looseObject({
  replicas: intOrPercent,
  traffic: z.string().optional(),
  pause: z.looseObject({ duration: z.union([z.string(), z.number()]).optional() }).optional(),
  analysis: z.unknown().optional(),
});

export const RolloutViewSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.looseObject({
    workloadRef: z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string() }),
    paused: z.boolean().optional(),
    disabled: z.boolean().optional(),
    ignoreTemplateKeys: z.array(z.string()).optional(),
    strategy: z.looseObject({
      canary: z.looseObject({
        steps: z.array(StepSchema),
        trafficRouting: z.unknown().optional(),
      }),
    }),
  }),
  status: z
    .looseObject({
      phase: z.string().optional(),
      currentStepIndex: z.number().optional(),
      currentStepState: z.string().optional(),
      canaryRevision: z.string().optional(),
      stableRevision: z.string().optional(),
      message: z.string().optional(),
    })
    .optional(),
});

export type Rollout = z.infer<typeof RolloutViewSchema>;
export type RolloutStep = z.infer<typeof StepSchema>;

/** Batch size of a step (SPEC §5.2); to be replaced by `canaryReplicasFor` from src/plan. */
export function canaryReplicasFor(step: RolloutStep, replicas: number): number {
  if (replicas <= 0) return 0;
  const r = step.replicas;
  if (typeof r === "number") return Math.max(1, Math.min(r, replicas));
  const percent = Number.parseFloat(r);
  let count = Math.ceil((replicas * percent) / 100);
  if (percent < 100 && replicas > 1) count = Math.min(count, replicas - 1);
  return Math.max(count, percent > 0 ? 1 : 0);
}
