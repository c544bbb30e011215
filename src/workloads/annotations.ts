// The annotations Slipway keeps on a held workload (SPEC §4.1), parsed once here so planners trust the types.

import { z } from "zod";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE } from "../api/names.ts";
import type { KubeObject } from "./types.ts";

const intOrPercent = z.union([z.number().int(), z.string()]);

/** The native rollout settings of a Deployment before the hold (written by the webhook, or by planHold). */
export const deploymentOriginalSchema = z.object({
  /** The webhook tags the saved settings with the workload kind (webhook/workloads/*.ts). */
  kind: z.literal("Deployment").optional(),
  paused: z.boolean().optional(),
  strategy: z
    .object({
      type: z.enum(["RollingUpdate", "Recreate"]).optional(),
      rollingUpdate: z
        .object({ maxSurge: intOrPercent.optional(), maxUnavailable: intOrPercent.optional() })
        .nullable()
        .optional(),
    })
    .optional(),
  progressDeadlineSeconds: z.number().int().nullable().optional(),
});
export type DeploymentOriginal = z.infer<typeof deploymentOriginalSchema>;

/**
 * The native rollout settings of a StatefulSet before the hold. The whole `updateStrategy` is preferred; a bare
 * `partition` is accepted too (null/absent = no partition).
 */
export const statefulSetOriginalSchema = z.object({
  kind: z.literal("StatefulSet").optional(),
  updateStrategy: z
    .object({
      type: z.enum(["RollingUpdate", "OnDelete"]).optional(),
      rollingUpdate: z
        .object({
          partition: z.number().int().nullable().optional(),
          maxUnavailable: intOrPercent.optional(),
        })
        .nullable()
        .optional(),
    })
    .optional(),
  partition: z.number().int().nullable().optional(),
});
export type StatefulSetOriginal = z.infer<typeof statefulSetOriginalSchema>;

/**
 * The update strategy of an OpenKruise CloneSet before the hold (the webhook saves the whole `updateStrategy`).
 * Only `partition` and `paused` are changed by the hold, so only they are restored.
 */
export const cloneSetOriginalSchema = z.object({
  kind: z.literal("CloneSet").optional(),
  updateStrategy: z
    .object({
      type: z.enum(["ReCreate", "InPlaceIfPossible", "InPlaceOnly"]).optional(),
      partition: intOrPercent.nullable().optional(),
      paused: z.boolean().nullable().optional(),
      maxUnavailable: intOrPercent.nullable().optional(),
      maxSurge: intOrPercent.nullable().optional(),
    })
    .optional(),
});
export type CloneSetOriginal = z.infer<typeof cloneSetOriginalSchema>;

/** `{rollout, stableRevision, canaryTemplateHash, startedAt}` of the release in progress. */
export const releaseSchema = z.object({
  rollout: z.string().optional(),
  stableRevision: z.string().optional(),
  canaryTemplateHash: z.string().optional(),
  startedAt: z.string().optional(),
});
export type ReleaseInfo = z.infer<typeof releaseSchema>;

export type Parsed<T> =
  { readonly ok: true; readonly value: T | undefined } | { readonly ok: false; readonly problem: string };

function describe(object: KubeObject): string {
  return `${object.kind ?? "object"} ${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** Parse a JSON annotation; absent → `value: undefined`; malformed → a problem naming the object and the fix. */
export function parseAnnotation<T>(object: KubeObject, key: string, schema: z.ZodType<T>): Parsed<T> {
  const raw = object.metadata?.annotations?.[key];
  if (raw === undefined) return { ok: true, value: undefined };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      problem: `annotation ${key} on ${describe(object)} is not valid JSON (${(error as Error).message}); restore it or remove it`,
    };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined ? "" : ` at ${issue.path.join(".") || "(root)"}: ${issue.message}`;
    return {
      ok: false,
      problem: `annotation ${key} on ${describe(object)} is malformed${where}; restore it or remove it`,
    };
  }
  return { ok: true, value: result.data };
}

export function parseDeploymentOriginal(object: KubeObject): Parsed<DeploymentOriginal> {
  return parseAnnotation(object, ANNOTATION_ORIGINAL, deploymentOriginalSchema);
}

export function parseStatefulSetOriginal(object: KubeObject): Parsed<StatefulSetOriginal> {
  return parseAnnotation(object, ANNOTATION_ORIGINAL, statefulSetOriginalSchema);
}

export function parseCloneSetOriginal(object: KubeObject): Parsed<CloneSetOriginal> {
  return parseAnnotation(object, ANNOTATION_ORIGINAL, cloneSetOriginalSchema);
}

/** The release annotation is informational for workloads; a malformed one is treated as absent. */
export function parseRelease(object: KubeObject): ReleaseInfo | undefined {
  const parsed = parseAnnotation(object, ANNOTATION_RELEASE, releaseSchema);
  return parsed.ok ? parsed.value : undefined;
}

/** Merge-patch fragment removing the release state annotations that are present. */
export function removeReleaseAnnotations(object: KubeObject): Record<string, null> {
  const present = object.metadata?.annotations ?? {};
  const patch: Record<string, null> = {};
  for (const key of [ANNOTATION_ORIGINAL, ANNOTATION_RELEASE]) if (key in present) patch[key] = null;
  return patch;
}
