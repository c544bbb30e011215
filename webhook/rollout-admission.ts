// Rollout admission rules that need more than the object itself (SPEC §2.1, §3, §8): one Rollout per
// workload, no plan surgery during a release, no OnDelete StatefulSets, actions that make sense now.
// Local rules (step order, percentages, durations) are the CRD schema's and src/api's job.

import { deepEqualJson } from "./json-patch.ts";
import { RELEASE_PHASES, refuseActions } from "./rollout-actions.ts";
import { groupOf } from "./rollout-cache.ts";
import type { Rollout } from "../src/api/rollout.ts";
import { isDeleting, rolloutName } from "./rollout-meta.ts";
import { HOLD_ADAPTERS } from "./hold.ts";
import { WorkloadSchema } from "./workloads/workload.ts";

export type WorkloadLookup =
  | { readonly found: true; readonly object: unknown }
  | { readonly found: false }
  /** The workload could not be read (not refused for that: a missing workload is reported in status). */
  | { readonly found: "unknown"; readonly error: string };

export interface RolloutAdmission {
  readonly rollout: Rollout;
  /** The stored Rollout on UPDATE. */
  readonly live: Rollout | undefined;
  /** Other Rollouts (from the cache) whose workloadRef names the same workload. */
  readonly others: readonly Rollout[];
  readonly workload: WorkloadLookup | undefined;
}

export type Verdict =
  | { readonly allowed: true; readonly warnings: readonly string[] }
  | { readonly allowed: false; readonly message: string };

/** Whether admitting this Rollout needs the workload read (creation, or a new workloadRef). */
export function needsWorkload(rollout: Rollout, live: Rollout | undefined): boolean {
  return live === undefined || !deepEqualJson(live.spec.workloadRef, rollout.spec.workloadRef);
}

/** What ends the release in `phase`, so that the steps can change (each advice works from that phase). */
export function frozenAdvice(rollout: Rollout, phase: string): string {
  const ns = rollout.metadata.namespace;
  const target = `${rollout.metadata.name}${ns === undefined || ns === "" ? "" : ` -n ${ns}`}`;
  const undo = `kubectl slipway undo ${target}`;
  switch (phase) {
    case "Aborted":
      return `the release is aborted: end it with \`${undo}\` (the template back to the stable revision), then change the steps; or release it again with the current steps: \`kubectl slipway retry ${target}\``;
    case "Finalizing":
      return `the release is finishing: wait for it to end (\`kubectl slipway status ${target} --wait\`), then change the steps`;
    default:
      return `wait for the release to end, or end it now with \`kubectl slipway abort ${target}\` then \`${undo}\` (the template back to the stable revision), then change the steps`;
  }
}

export function admitRollout(input: RolloutAdmission): Verdict {
  const { rollout, live } = input;
  const name = rolloutName(rollout);
  const ref = rollout.spec.workloadRef;
  const refText = `${ref.kind} ${rollout.metadata.namespace ?? ""}/${ref.name}`;
  const warnings: string[] = [];

  if (!HOLD_ADAPTERS.some((a) => a.group === groupOf(ref.apiVersion) && a.kind === ref.kind)) {
    return refuse(
      `spec.workloadRef: ${ref.kind} of ${ref.apiVersion} is not supported; use Deployment or StatefulSet (apps/v1) or CloneSet (apps.kruise.io/v1alpha1)`,
    );
  }

  const other = input.others.find((r) => r.metadata.name !== rollout.metadata.name);
  if (other !== undefined) {
    const deleting = !isDeleting(other) ? "" : " (being deleted; wait until it is gone)";
    return refuse(
      `spec.workloadRef: ${refText} is already managed by rollout ${other.metadata.namespace ?? ""}/${other.metadata.name}${deleting}; a workload can have one Rollout: delete that Rollout or point this one at another workload`,
    );
  }

  const phase = live?.status?.phase;
  if (live !== undefined && phase !== undefined && RELEASE_PHASES.has(phase)) {
    const frozen = frozenDuringRelease(live, rollout);
    if (frozen !== undefined) {
      return refuse(
        `${frozen} cannot change while ${name} is releasing (phase ${phase}); ${frozenAdvice(rollout, phase)}`,
      );
    }
  }

  const workload = input.workload;
  if (workload?.found === true) {
    const parsed = WorkloadSchema.safeParse(workload.object);
    const type = parsed.success ? parsed.data.spec.updateStrategy?.type : undefined;
    if (ref.kind === "StatefulSet" && type === "OnDelete") {
      return refuse(
        `spec.workloadRef: StatefulSet ${rollout.metadata.namespace ?? ""}/${ref.name} uses updateStrategy OnDelete, which Slipway cannot hold; set its spec.updateStrategy.type to RollingUpdate first`,
      );
    }
  } else if (workload?.found === false) {
    warnings.push(`${refText} does not exist yet; the Rollout attaches to it when it is created`);
  } else if (workload?.found === "unknown") {
    warnings.push(`${refText} could not be read to check its update strategy: ${workload.error}`);
  }

  const refusal = refuseActions(live, rollout);
  if (refusal !== undefined) return refuse(refusal);
  return { allowed: true, warnings };
}

/** The first of the fields that stay fixed while a release is in progress (SPEC §2.1) that this update changes. */
function frozenDuringRelease(live: Rollout, next: Rollout): string | undefined {
  if (!deepEqualJson(live.spec.workloadRef, next.spec.workloadRef)) return "spec.workloadRef";
  const before = live.spec.strategy.canary;
  const after = next.spec.strategy.canary;
  if (!deepEqualJson(before.trafficRouting, after.trafficRouting))
    return "spec.strategy.canary.trafficRouting";
  if (before.steps.length !== after.steps.length) {
    return `the number of steps (${before.steps.length} → ${after.steps.length})`;
  }
  return undefined;
}

function refuse(message: string): Verdict {
  return { allowed: false, message };
}
