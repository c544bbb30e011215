// The parts of a Deployment / StatefulSet / CloneSet the webhook reads or changes, and the one interface each
// kind implements to hold a release. Unknown fields are kept (loose objects) so a mutated copy diffs cleanly.

import { z } from "zod";
import type { OriginalAnnotation } from "../../src/api/held-workload.ts";

const intOrString = z.union([z.number(), z.string()]);

export const WorkloadSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    deletionTimestamp: z.string().optional(),
  }),
  spec: z.looseObject({
    replicas: z.number().optional(),
    template: z.unknown(),
    // Deployment
    paused: z.boolean().optional(),
    strategy: z.record(z.string(), z.unknown()).optional(),
    progressDeadlineSeconds: z.number().optional(),
    // StatefulSet (rollingUpdate.partition) and CloneSet (partition, paused)
    updateStrategy: z
      .looseObject({
        type: z.string().optional(),
        partition: intOrString.optional(),
        paused: z.boolean().optional(),
        rollingUpdate: z.looseObject({ partition: z.number().optional() }).optional(),
      })
      .optional(),
  }),
  status: z
    .looseObject({ updateRevision: z.string().optional(), currentRevision: z.string().optional() })
    .optional(),
});
export type Workload = z.infer<typeof WorkloadSchema>;

/**
 * Everything kind-specific about holding a release. Functions take the workload to change and change it
 * in place (the caller owns a copy); all of them are idempotent.
 */
export interface HoldAdapter {
  readonly group: string;
  readonly kind: OriginalAnnotation["kind"];
  /** Where the kind is served, to read one at Rollout admission. */
  readonly version: string;
  readonly plural: string;
  /** Why this workload cannot be held at all (e.g. an OnDelete StatefulSet), or undefined. */
  unholdable(workload: Workload): string | undefined;
  /** The native rollout settings the hold is about to change, as the user had them. */
  original(workload: Workload): OriginalAnnotation;
  /** Stop the native rollout entirely. */
  hold(workload: Workload): void;
  /**
   * During a release, undo a change that would let the native rollout move more pods than Slipway has:
   * an unpause, or a partition below `partitionFloor` (the lowest partition the current step allows).
   * Returns a sentence for each field it put back.
   */
  reHold(before: Workload, after: Workload, partitionFloor: number): string[];
  /** Revision of the template the workload ran before this update, when the workload itself says so. */
  stableRevision(before: Workload): string | undefined;
}

/**
 * A copy the adapters may edit. Only what they change (metadata, spec, the update strategy) is copied;
 * the pod template and status stay shared with the original, so copying and diffing stay cheap (a full
 * structuredClone was the single largest cost of an admission).
 */
export function editableCopy(workload: Workload): Workload {
  const strategy = workload.spec.updateStrategy;
  const rollingUpdate = strategy?.rollingUpdate;
  return {
    ...workload,
    metadata: { ...workload.metadata },
    spec: {
      ...workload.spec,
      ...(strategy === undefined
        ? {}
        : {
            updateStrategy: {
              ...strategy,
              ...(rollingUpdate === undefined ? {} : { rollingUpdate: { ...rollingUpdate } }),
            },
          }),
    },
  };
}

export function replicasOf(workload: Workload): number {
  // The API server defaults replicas to 1 before admission; keep that default when a test omits it.
  return workload.spec.replicas ?? 1;
}

/** Resolve an int-or-percent partition against a replica count; percentages round up as CloneSet does. */
export function resolvePartition(partition: number | string | undefined, replicas: number): number {
  if (partition === undefined) return 0;
  if (typeof partition === "number") return partition;
  const match = /^(\d+(?:\.\d+)?)%$/.exec(partition.trim());
  if (match?.[1] !== undefined) return Math.ceil((replicas * Number(match[1])) / 100);
  const asInt = Number(partition);
  return Number.isInteger(asInt) ? asInt : 0;
}
