// Int-or-percent values resolved exactly as Kubernetes does (intstr.GetScaledValueFromIntOrPercent and
// deploymentutil.ResolveFenceposts), so Slipway's bounds are the ones the user configured natively.
// (Unlike src/api's parser for Rollout fields, Kubernetes accepts percentages above 100% here, e.g. maxSurge.)

import type { IntOrPercent } from "../api/primitives.ts";

export type { IntOrPercent } from "../api/primitives.ts";

/** Only whole percentages are valid, as in Kubernetes ("25%", not "12.5%"). */
const PERCENT = /^(\d+)%$/;

/**
 * Resolve `value` against `total`. Percentages round up or down as asked; integers are taken as they are.
 * Throws with the offending value when it is neither an integer nor a whole percentage.
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`invalid int-or-percent ${value}: not an integer`);
    return value;
  }
  const match = PERCENT.exec(value);
  if (match === null) {
    // Kubernetes rejects a string that is not a percentage ("3" as a string is invalid too).
    throw new Error(`invalid int-or-percent "${value}": use an integer or a whole percentage like "25%"`);
  }
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface RollingBounds {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/**
 * maxSurge rounds up, maxUnavailable rounds down; when both resolve to 0, maxUnavailable becomes 1 (the
 * native controller's rule, so a rollout can always make progress). maxUnavailable never exceeds N.
 */
export function resolveFenceposts(
  maxSurge: IntOrPercent | undefined,
  maxUnavailable: IntOrPercent | undefined,
  replicas: number,
): RollingBounds {
  const surge = scaledValue(maxSurge ?? 0, replicas, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: Math.min(unavailable, replicas) };
}
