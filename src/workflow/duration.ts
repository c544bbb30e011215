import type { Duration } from "./types.ts";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART_PATTERN = /(\d+)(ms|s|m|h|d)/g;

export const DURATION_HINT = 'use "250ms", "30s", "10m", "1h30m", "2d" or an integer number of seconds';

/** Milliseconds for a duration, or undefined when it is not one (the caller names the field in its error). */
export function parseDuration(value: Duration): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 ? value * 1_000 : undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART_PATTERN)) {
    total += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Like parseDuration, for values that were validated before. */
export function durationMs(value: Duration): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`invalid duration ${JSON.stringify(value)}: ${DURATION_HINT}`);
  return ms;
}
