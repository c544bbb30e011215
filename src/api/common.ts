// Small schema building blocks shared by the Rollout and AnalysisTemplate schemas.
import { z } from "zod";
import type { CelRule } from "./cel-rules.ts";
import { API_VERSION } from "./names.ts";

/** Attaches CEL rules to a schema node (written to the CRD; evaluated offline by cel-offline.ts). */
export function celRules(rules: readonly CelRule[]): { "x-kubernetes-validations": readonly CelRule[] } {
  return { "x-kubernetes-validations": rules };
}

/** Marks a list as a map keyed by `name` (the API server then refuses duplicate names). */
export const LIST_MAP_BY_NAME = {
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["name"],
} as const;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (DNS-1123 subdomain). Messages omit the field: the problem path names it. */
export function objectName(description: string) {
  return z
    .string({ error: requiredOr("must be a string") })
    .min(1, "must not be empty")
    .max(253, "must be at most 253 characters")
    .regex(
      DNS_SUBDOMAIN,
      "must be a lowercase DNS name (a-z, 0-9, '-' and '.', starting and ending alphanumeric)",
    )
    .describe(description);
}

/** A Service name (DNS-1123 label). */
export function serviceName(description: string) {
  return z
    .string({ error: requiredOr("must be a string") })
    .min(1, "must not be empty")
    .max(63, "must be at most 63 characters")
    .regex(DNS_LABEL, "must be a lowercase DNS label (a-z, 0-9 and '-', starting and ending alphanumeric)")
    .describe(description);
}

/** A free-form string with an upper bound (keeps the API server's CEL cost estimate small). */
export function text(description: string, max: number, min = 0) {
  const s = z.string({ error: requiredOr("must be a string") }).max(max, `must be at most ${max} characters`);
  return (min > 0 ? s.min(min, "must not be empty") : s).describe(description);
}

/**
 * Largest value of an integer field: Kubernetes (and any Go client) reads counts, replicas and seconds as
 * int32, so a bigger number is refused here — which puts `maximum` into the CRD and the same message into
 * `slipway lint` and the webhook.
 */
export const INT32_MAX = 2_147_483_647;

/** Above this an integer field's own maximum is reported with the reason (int32). */
export function atMost(max: number): string {
  return max === INT32_MAX
    ? `must be at most ${INT32_MAX} (the largest 32-bit integer)`
    : `must be <= ${max}`;
}

/** An integer in [min, max]; max defaults to INT32_MAX (int64 fields such as generations pass their own). */
export function int(description: string, min: number, max: number = INT32_MAX) {
  return z
    .int({ error: requiredOr("must be an integer") })
    .min(min, `must be >= ${min}`)
    .max(max, atMost(max))
    .describe(description);
}

/** metadata.generation and what copies it: int64 in Kubernetes. */
export function generation(description: string) {
  return int(description, 0, Number.MAX_SAFE_INTEGER);
}

export function bool(description: string) {
  return z.boolean({ error: requiredOr("must be true or false") }).describe(description);
}

export function oneOf<const T extends readonly [string, ...string[]]>(description: string, values: T) {
  const list = values.map((v) => `"${v}"`).join(", ");
  return z.enum(values, { error: requiredOr(`must be one of ${list}`) }).describe(description);
}

export function list<T extends z.ZodType>(description: string, item: T, max: number, min = 0) {
  const base = z
    .array(item, { error: requiredOr("must be a list") })
    .max(max, `may hold at most ${max} items`);
  const sized = min > 0 ? base.min(min, `needs at least ${min} item${min > 1 ? "s" : ""}`) : base;
  return sized.describe(description);
}

/** A metav1.Time as the API server writes it (RFC 3339). */
export const timestamp = z.iso.datetime({
  offset: true,
  error: "must be an RFC 3339 time such as 2024-05-01T12:00:00Z",
});

/** Error callback: "is required" for a missing value, else the given message. */
export function requiredOr(message: string) {
  return (issue: { readonly input?: unknown }) => (issue.input === undefined ? REQUIRED : message);
}

/** zod message for a missing field; problems.ts turns it into "add <field> (<description>)". */
export const REQUIRED = "is required";

/** `metadata` as far as Slipway's validation is concerned; everything else passes through. */
export const ObjectMetaSchema = z.looseObject({
  name: objectName("metadata.name"),
  namespace: z.string().optional(),
});

export function apiVersionField() {
  return z.literal(API_VERSION, { error: `apiVersion must be ${API_VERSION}` });
}

/** metav1.Condition. */
export const ConditionSchema = z.strictObject({
  type: text("type", 316, 1),
  status: oneOf("status", ["True", "False", "Unknown"]),
  observedGeneration: generation("observedGeneration").optional(),
  lastTransitionTime: timestamp,
  reason: text("reason", 1024),
  message: text("message", 32768),
});

export const CONDITIONS_LIST_META = {
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
} as const;

/** Recursively readonly view of parsed data: the rest of the code trusts and never mutates it. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
