// Which workload adapter drives a Rollout's workload (the registry lives in src/workloads).
import type { EffectiveRolloutSpec } from "../../api/defaults.ts";
import { adapterFor as lookup } from "../../workloads/registry.ts";
import type { WorkloadAdapter } from "../../workloads/types.ts";

export function adapterFor(spec: EffectiveRolloutSpec): WorkloadAdapter | { readonly problem: string } {
  const found = lookup(spec.workloadRef, spec.deploymentStyle ?? "partition");
  return found.ok ? found.adapter : { problem: found.problem };
}
