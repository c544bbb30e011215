// StatefulSet: held with a RollingUpdate partition no ordinal reaches, so no pod gets the new revision even
// if the StatefulSet is scaled up through the scale subresource (which this webhook does not see).

import type { HoldAdapter, Workload } from "./workload.ts";

/** Largest int32: "partition = spec.replicas or higher" (SPEC §4.1) that also survives scale-ups. */
export const HELD_STATEFULSET_PARTITION = 2147483647;

export const statefulSetHold: HoldAdapter = {
  group: "apps",
  kind: "StatefulSet",
  version: "v1",
  plural: "statefulsets",
  unholdable(workload: Workload) {
    const type = workload.spec.updateStrategy?.type;
    if (type === undefined || type === "RollingUpdate") return undefined;
    return `StatefulSet ${workload.metadata.namespace}/${workload.metadata.name} uses updateStrategy ${type}, which Slipway cannot hold; use RollingUpdate`;
  },
  original(workload: Workload) {
    const updateStrategy = workload.spec.updateStrategy;
    return { kind: "StatefulSet", ...(updateStrategy === undefined ? {} : { updateStrategy }) };
  },
  hold(workload: Workload) {
    const strategy = (workload.spec.updateStrategy ??= {});
    strategy.type = "RollingUpdate";
    (strategy.rollingUpdate ??= {}).partition = HELD_STATEFULSET_PARTITION;
  },
  reHold(before: Workload, after: Workload, floor: number) {
    const partition = after.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    if (partition >= floor) return [];
    const previous = before.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    const strategy = (after.spec.updateStrategy ??= {});
    strategy.type = "RollingUpdate";
    const restored = Math.max(previous, floor);
    (strategy.rollingUpdate ??= {}).partition = restored;
    return [
      `spec.updateStrategy.rollingUpdate.partition ${partition} was set back to ${restored}: the release is in progress and Slipway moves the pods`,
    ];
  },
  // controller-revision-hash of the pods is the ControllerRevision name, which status.updateRevision holds.
  stableRevision: (before: Workload) => before.status?.updateRevision,
};
