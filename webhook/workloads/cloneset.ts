// OpenKruise CloneSet: held with `updateStrategy.partition: "100%"` and `paused: false` (a paused CloneSet
// would also ignore the partitions Slipway lowers batch by batch).

import { resolvePartition, replicasOf, type HoldAdapter, type Workload } from "./workload.ts";

export const cloneSetHold: HoldAdapter = {
  group: "apps.kruise.io",
  kind: "CloneSet",
  version: "v1alpha1",
  plural: "clonesets",
  unholdable: () => undefined,
  original(workload: Workload) {
    const updateStrategy = workload.spec.updateStrategy;
    return { kind: "CloneSet", ...(updateStrategy === undefined ? {} : { updateStrategy }) };
  },
  hold(workload: Workload) {
    const strategy = (workload.spec.updateStrategy ??= {});
    strategy.partition = "100%";
    strategy.paused = false;
  },
  reHold(before: Workload, after: Workload, floor: number) {
    const replicas = replicasOf(after);
    const raw = after.spec.updateStrategy?.partition;
    const partition = resolvePartition(raw, replicas);
    if (partition >= floor) return [];
    const previous = before.spec.updateStrategy?.partition;
    const restored =
      resolvePartition(previous, replicas) >= floor && previous !== undefined ? previous : floor;
    (after.spec.updateStrategy ??= {}).partition = restored;
    return [
      `spec.updateStrategy.partition ${String(raw ?? 0)} was set back to ${String(restored)}: the release is in progress and Slipway moves the pods`,
    ];
  },
  // CloneSet pods carry pod-template-hash = the revision name without the "<name>-" prefix.
  stableRevision(before: Workload) {
    const revision = before.status?.updateRevision;
    const prefix = `${before.metadata.name}-`;
    return revision?.startsWith(prefix) ? revision.slice(prefix.length) : revision;
  },
};
