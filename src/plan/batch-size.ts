// Batch sizes (SPEC.md §5.2). The one function the controller and `slipway plan` both use.
import { parseIntOrPercent, type IntOrPercent, type ParsedIntOrPercent } from "../api/primitives.ts";

/**
 * Pods that run the canary revision at a step with `replicas` (int or "N%") on a workload with
 * `spec.replicas` = total:
 * - integer r → min(r, total); percentage p → ceil(total · p / 100);
 * - p < 100 and total > 1 → at most total − 1 (only a 100% step moves every pod);
 * - r > 0 moves at least one pod; total = 0 means nothing to do.
 */
export function canaryReplicasFor(replicas: IntOrPercent | ParsedIntOrPercent, total: number): number {
  assertReplicaCount(total);
  if (total === 0) return 0;
  const r = typeof replicas === "object" ? replicas : parseIntOrPercent(replicas);
  if (r.value === 0) return 0;
  if (r.kind === "int") return Math.min(r.value, total);
  // Integer arithmetic: ceil(total * p / 100) without floating-point error.
  const pods = Math.floor((total * r.value + 99) / 100);
  const capped = r.value < 100 && total > 1 ? Math.min(pods, total - 1) : pods;
  return Math.max(capped, 1);
}

/**
 * New pods of a batch allowed to be unready when the batch counts as ready (failureThreshold):
 * integer n → min(n, batch); percentage p → floor(batch · p / 100), so a threshold never excuses a
 * pod that is not there and "10%" of a 5-pod batch excuses none.
 */
export function allowedUnreadyFor(threshold: IntOrPercent, batch: number): number {
  assertReplicaCount(batch);
  const t = parseIntOrPercent(threshold);
  if (t.kind === "int") return Math.min(t.value, batch);
  return Math.floor((batch * t.value) / 100);
}

function assertReplicaCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`invalid replica count ${n}: expected a whole number >= 0`);
  }
}
