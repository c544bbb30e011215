// The JSON the webhook writes on a held workload (SPEC §4.1) and the controller reads back to restore it.
// Keys: ANNOTATION_RELEASE and ANNOTATION_ORIGINAL in names.ts.

import { z } from "zod";

/** `rollouts.slipway.dev/release`: the release in progress. */
export const ReleaseAnnotationSchema = z.object({
  rollout: z.string(),
  /** pod-template-hash (Deployment, CloneSet) or controller-revision-hash (StatefulSet); "" when unknown. */
  stableRevision: z.string(),
  /** `templateHash()` of src/plan/template-diff.ts over the canary pod template. */
  canaryTemplateHash: z.string(),
  startedAt: z.string(),
});
export type ReleaseAnnotation = z.infer<typeof ReleaseAnnotationSchema>;

const jsonMap = z.record(z.string(), z.unknown());

/**
 * `rollouts.slipway.dev/original`: the native rollout settings the user had, saved the first time a release
 * is held and never overwritten while it is in progress. Absent fields were absent on the workload.
 */
export const OriginalAnnotationSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("Deployment"),
    paused: z.boolean(),
    strategy: jsonMap.optional(),
    progressDeadlineSeconds: z.number().optional(),
  }),
  z.object({ kind: z.literal("StatefulSet"), updateStrategy: jsonMap.optional() }),
  z.object({ kind: z.literal("CloneSet"), updateStrategy: jsonMap.optional() }),
]);
export type OriginalAnnotation = z.infer<typeof OriginalAnnotationSchema>;

export function parseReleaseAnnotation(value: string | undefined): ReleaseAnnotation | undefined {
  return parseJsonAnnotation(value, ReleaseAnnotationSchema);
}

export function parseOriginalAnnotation(value: string | undefined): OriginalAnnotation | undefined {
  return parseJsonAnnotation(value, OriginalAnnotationSchema);
}

function parseJsonAnnotation<T>(value: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
