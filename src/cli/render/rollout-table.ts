// `kubectl slipway get` without a name: one line per Rollout, kubectl's table style.
import type { Rollout } from "../../api/rollout.ts";
import { renderTable } from "../table.ts";
import { releaseInProgress } from "./steps.ts";
import { age } from "./text.ts";

export interface TableOptions {
  readonly allNamespaces: boolean;
  readonly now: number;
}

function row(rollout: Rollout, options: TableOptions): string[] {
  const status = rollout.status;
  const ref = rollout.spec.workloadRef;
  const steps = rollout.spec.strategy.canary.steps.length;
  const active = releaseInProgress(status);
  const routed = rollout.spec.strategy.canary.trafficRouting !== undefined;
  const phase = `${status?.phase ?? "<none>"}${rollout.spec.paused === true ? " (paused)" : ""}`;
  const created = rollout.metadata["creationTimestamp"];
  const cells = [
    rollout.metadata.name,
    `${ref.kind}/${ref.name}`,
    phase,
    active ? `${status?.currentStepIndex}/${steps}` : `-/${steps}`,
    active ? `${status?.canaryReadyReplicas ?? 0}/${status?.canaryReplicas ?? 0}` : "-",
    active && routed ? `${status?.trafficWeight ?? 0}%` : "-",
    age(typeof created === "string" ? created : undefined, options.now),
    status?.message ?? "",
  ];
  return options.allNamespaces ? [rollout.metadata.namespace ?? "", ...cells] : cells;
}

export function renderRolloutTable(rollouts: readonly Rollout[], options: TableOptions): string {
  const headers = ["NAME", "WORKLOAD", "PHASE", "STEP", "CANARY", "TRAFFIC", "AGE", "MESSAGE"];
  const sorted = [...rollouts].sort(
    (a, b) =>
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  return renderTable(
    options.allNamespaces ? ["NAMESPACE", ...headers] : headers,
    sorted.map((r) => row(r, options)),
  );
}
