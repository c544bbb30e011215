// Deployment: held with `spec.paused: true`. A paused Deployment creates no new ReplicaSet, so the native
// controller moves no pod; the Slipway controller then moves pods itself (SPEC §5.3).

import type { HoldAdapter, Workload } from "./workload.ts";

export const deploymentHold: HoldAdapter = {
  group: "apps",
  kind: "Deployment",
  version: "v1",
  plural: "deployments",
  unholdable: () => undefined,
  original(workload: Workload) {
    const { paused, strategy, progressDeadlineSeconds } = workload.spec;
    return {
      kind: "Deployment",
      version: "v1",
      plural: "deployments",
      paused: paused ?? false,
      ...(strategy === undefined ? {} : { strategy }),
      ...(progressDeadlineSeconds === undefined ? {} : { progressDeadlineSeconds }),
    };
  },
  hold(workload: Workload) {
    workload.spec.paused = true;
  },
  reHold(_before: Workload, after: Workload) {
    if (after.spec.paused === true) return [];
    after.spec.paused = true;
    return ["spec.paused was set back to true: the release is in progress and Slipway moves the pods"];
  },
  // A Deployment's status does not name its pod-template-hash; the Rollout's status.stableRevision does.
  stableRevision: () => undefined,
};
