// One line per workload kind (and Deployment style). Adding a kind = one adapter file + one line here.

import { cloneSetAdapter } from "./cloneset.ts";
import { deploymentCanaryAdapter } from "./deployment-canary.ts";
import { deploymentPartitionAdapter } from "./deployment-partition.ts";
import { statefulSetAdapter } from "./statefulset.ts";
import type { WorkloadAdapter } from "./types.ts";

export type DeploymentStyle = "partition" | "canary-deployment";

interface Registration {
  readonly apiVersion: string;
  readonly kind: string;
  /** Only for kinds with several styles (Deployment). */
  readonly style?: DeploymentStyle;
  readonly adapter: WorkloadAdapter;
}

const REGISTRY: readonly Registration[] = [
  { apiVersion: "apps/v1", kind: "Deployment", style: "partition", adapter: deploymentPartitionAdapter },
  { apiVersion: "apps/v1", kind: "Deployment", style: "canary-deployment", adapter: deploymentCanaryAdapter },
  { apiVersion: "apps/v1", kind: "StatefulSet", adapter: statefulSetAdapter },
  { apiVersion: "apps.kruise.io/v1alpha1", kind: "CloneSet", adapter: cloneSetAdapter },
];

export type AdapterLookup =
  { readonly ok: true; readonly adapter: WorkloadAdapter } | { readonly ok: false; readonly problem: string };

/** The adapter for a Rollout's workloadRef; a problem naming the field and the supported values otherwise. */
export function adapterFor(
  workloadRef: { readonly apiVersion: string; readonly kind: string },
  deploymentStyle: DeploymentStyle = "partition",
): AdapterLookup {
  const candidates = REGISTRY.filter(
    (r) => r.kind === workloadRef.kind && r.apiVersion === workloadRef.apiVersion,
  );
  const found = candidates.find((r) => r.style === undefined || r.style === deploymentStyle);
  if (found !== undefined) return { ok: true, adapter: found.adapter };
  const supported = [...new Set(REGISTRY.map((r) => `${r.apiVersion} ${r.kind}`))].join(", ");
  if (candidates.length > 0) {
    return {
      ok: false,
      problem: `spec.strategy.canary.deploymentStyle "${deploymentStyle}" is not supported for ${workloadRef.kind}; use partition or canary-deployment`,
    };
  }
  return {
    ok: false,
    problem: `spec.workloadRef ${workloadRef.apiVersion} ${workloadRef.kind} is not supported (yet); supported: ${supported}`,
  };
}
