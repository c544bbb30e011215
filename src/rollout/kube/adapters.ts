// Which workload adapter drives a Rollout's workload: one line per kind and style (src/workloads).
import type { EffectiveRolloutSpec } from "../../api/defaults.ts";
import { deploymentPartitionAdapter } from "../../workloads/deployment-partition.ts";
import type { WorkloadAdapter, WorkloadStyle } from "../../workloads/types.ts";

const ADAPTERS: readonly WorkloadAdapter[] = [deploymentPartitionAdapter];

export function styleOf(spec: EffectiveRolloutSpec): WorkloadStyle | undefined {
  switch (spec.workloadRef.kind) {
    case "Deployment":
      return spec.deploymentStyle ?? "partition";
    case "StatefulSet":
      return "statefulset-partition";
    default:
      return undefined;
  }
}

export function adapterFor(spec: EffectiveRolloutSpec): WorkloadAdapter | { readonly problem: string } {
  const style = styleOf(spec);
  const adapter = ADAPTERS.find((a) => a.kind === spec.workloadRef.kind && a.style === style);
  if (adapter !== undefined) return adapter;
  return {
    problem: `${spec.workloadRef.kind}${style === undefined ? "" : ` (${style})`} is not supported by this controller yet`,
  };
}
