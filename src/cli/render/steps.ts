// Where each step of a Rollout stands, derived from the spec and the status alone (pure).
import { parseIntOrPercent } from "../../api/primitives.ts";
import type { RolloutStatus, StepStatus } from "../../api/rollout-status.ts";
import type { Rollout } from "../../api/rollout.ts";
import { resolveRollout, type PlannedStep } from "../../plan/resolve.ts";

export type StepStanding = "done" | "current" | "failed" | "skipped" | "waiting";

/** Phases in which the Rollout has a release at some step (running, aborted or being finished). */
const RELEASE_PHASES: ReadonlySet<string> = new Set(["Progressing", "Paused", "Aborted", "Finalizing"]);

export function releaseInProgress(status: RolloutStatus | undefined): boolean {
  return (status?.currentStepIndex ?? 0) > 0 && RELEASE_PHASES.has(status?.phase ?? "");
}

export function standingOf(index: number, status: RolloutStatus | undefined): StepStanding {
  const recorded = status?.steps?.find((s) => s.index === index);
  const current = status?.currentStepIndex ?? 0;
  if (recorded !== undefined) {
    switch (recorded.phase) {
      case "Succeeded":
        return "done";
      case "Failed":
        return "failed";
      case "Skipped":
        return "skipped";
      case "Running":
        return "current";
      case "Pending":
        return index === current && releaseInProgress(status) ? "current" : "waiting";
    }
  }
  if (!releaseInProgress(status)) return "waiting";
  if (index < current) return "done";
  if (index > current) return "waiting";
  return status?.phase === "Aborted" ? "failed" : "current";
}

export function stepStatusOf(index: number, status: RolloutStatus | undefined): StepStatus | undefined {
  return status?.steps?.find((s) => s.index === index);
}

/** spec.replicas of the workload, when it is known and a whole number. */
export function replicasOf(workload: unknown): number | undefined {
  const replicas = (workload as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  if (workload === undefined) return undefined;
  if (replicas === undefined) return 1; // the API server's default for all three kinds
  return typeof replicas === "number" && Number.isInteger(replicas) && replicas >= 0 ? replicas : undefined;
}

/** Pod counts per step at `replicas`, or undefined when they cannot be worked out. */
export function plannedSteps(
  rollout: Rollout,
  replicas: number | undefined,
): readonly PlannedStep[] | undefined {
  if (replicas === undefined) return undefined;
  try {
    return resolveRollout(rollout.spec, replicas).steps;
  } catch {
    return undefined; // a spec the API server accepted but this CLI cannot resolve: show it without counts
  }
}

/** Traffic % each step leaves on the canary (a step without `traffic` keeps the previous one). */
export function plannedTraffic(rollout: Rollout): readonly number[] {
  let weight = 0;
  return rollout.spec.strategy.canary.steps.map((step) => {
    if (step.traffic !== undefined) weight = parseIntOrPercent(step.traffic).value;
    return weight;
  });
}
