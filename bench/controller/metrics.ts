// The controller's own counters, scraped from its /metrics endpoint (port logged at start): how many
// reconciles a phase cost, and so whether an idle controller really stays idle (event-driven, no polling).
import type { SlipwayProcess } from "../../test/e2e/rollout/controller-process.ts";

export interface Counters {
  readonly reconciles: number;
  /** Delayed or rate-limited re-adds to the work queue (timers, conflicts, errors). */
  readonly requeues: number;
  /** Wall time spent in reconciles (the sum of controller_runtime_reconcile_time_seconds). */
  readonly reconcileSeconds: number;
}

function sum(text: string, metric: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

export async function counters(controller: SlipwayProcess): Promise<Counters> {
  const port = controller.lines().find((line) => line.msg === "metrics serving")?.["port"];
  if (typeof port !== "number") throw new Error(`bench: ${controller.name} did not log its metrics port`);
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await response.text();
  return {
    reconciles: sum(text, "controller_runtime_reconcile_total"),
    requeues: sum(text, "workqueue_retries_total"),
    reconcileSeconds: sum(text, "controller_runtime_reconcile_time_seconds_sum"),
  };
}

export interface Work {
  readonly reconciles: number;
  readonly requeues: number;
  /** Mean wall time of one reconcile (API round trips included), in ms. */
  readonly meanReconcileMs: number;
}

export function work(before: Counters, after: Counters): Work {
  const reconciles = after.reconciles - before.reconciles;
  const seconds = after.reconcileSeconds - before.reconcileSeconds;
  return {
    reconciles,
    requeues: after.requeues - before.requeues,
    meanReconcileMs: reconciles === 0 ? 0 : Math.round((seconds / reconciles) * 10_000) / 10,
  };
}
