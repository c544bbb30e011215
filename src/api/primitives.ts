// Value types shared by the Rollout and AnalysisTemplate schemas: int-or-percent and durations.
//
// The zod schemas here only check the *structural* type (integer or string), exactly like the
// `x-kubernetes-int-or-string` node the API server sees. Whether "30%" or "10m" is well-formed is a CEL
// rule (src/api/cel-rules.ts) so that the API server, the webhook and `slipway lint` report it with the
// same words. The parse functions below are what the rest of the code uses after validation.
import { z } from "zod";
import { atMost, INT32_MAX } from "./common.ts";

/** `3` or `"30%"`, as written by a user (validated by CEL rules). */
export type IntOrPercent = number | string;
/** `"30s"`, `"10m"`, `"1h30m"` or integer seconds, as written by a user. */
export type Duration = number | string;

export type ParsedIntOrPercent =
  { readonly kind: "int"; readonly value: number } | { readonly kind: "percent"; readonly value: number };

/**
 * Structural int-or-string node; `describe` and CEL rules are attached by the caller. The integer form is
 * bounded by INT32_MAX (the CRD's `maximum`); the string form's range is the CEL rules' job.
 */
export function intOrString(description: string) {
  return z
    .union([z.int().max(INT32_MAX, atMost(INT32_MAX)), z.string().max(MAX_INT_OR_STRING_LENGTH)], {
      error: (issue) =>
        issue.input === undefined
          ? "is required"
          : `must be an integer or a string, not ${typeName(issue.input)}`,
    })
    .describe(description)
    .meta({ "x-kubernetes-int-or-string": true });
}

/** Upper bound for the string form of int-or-string values; keeps CEL regex costs small. */
export const MAX_INT_OR_STRING_LENGTH = 32;

const PERCENT = /^([0-9]{1,3})%$/;

/** Parses `3` or `"30%"`. Throws an Error that names the value and the accepted forms. */
export function parseIntOrPercent(value: IntOrPercent): ParsedIntOrPercent {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`invalid value ${value}: expected a non-negative integer or a percentage like "30%"`);
    }
    return { kind: "int", value };
  }
  const m = PERCENT.exec(value);
  if (!m?.[1]) {
    throw new Error(`invalid value "${value}": expected a non-negative integer or a percentage like "30%"`);
  }
  const pct = Number(m[1]);
  if (pct > 100) throw new Error(`invalid percentage "${value}": must be at most 100%`);
  return { kind: "percent", value: pct };
}

/** Hours, minutes, seconds, each at most once and in that order (the CRD's CEL rule reads the same form). */
const DURATION = /^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/;

/**
 * Parses a duration to seconds: integer seconds (`30`) or a string of `<int><unit>` parts with units
 * h, m, s, each at most once and in that order (`"30s"`, `"10m"`, `"1h"`, `"1h30m"`). Throws an Error
 * naming the value and the accepted forms.
 */
export function parseDuration(value: Duration): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new Error(
      `invalid duration ${value}: expected whole seconds >= 0 or a string like "30s", "10m", "1h"`,
    );
  }
  const m = value === "" ? null : DURATION.exec(value);
  if (m === null) {
    throw new Error(
      `invalid duration "${value}": expected whole seconds or a string like "30s", "10m", "1h" or "1h30m" (units h, m, s, each at most once, in that order)`,
    );
  }
  const [, h = "0", min = "0", sec = "0"] = m;
  return Number(h) * 3600 + Number(min) * 60 + Number(sec);
}

/** Renders seconds the short way a user would write them: 90 → "1m30s", 3600 → "1h". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}

export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `string "${value}"`;
  return `${typeof value} ${String(value)}`;
}
