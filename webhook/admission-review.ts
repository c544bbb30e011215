// AdmissionReview v1 (admission.k8s.io/v1): parsed once with zod on the way in, built on the way out.
// client-node has no model for it, so the shapes live here.

import { z } from "zod";
import type { PatchOperation } from "./json-patch.ts";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

const GroupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string() });
const GroupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string() });

export const AdmissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: GroupVersionKind,
  resource: GroupVersionResource,
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
  userInfo: z.looseObject({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).optional(),
  }),
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});
export type AdmissionRequest = z.infer<typeof AdmissionRequestSchema>;

export const AdmissionReviewSchema = z.looseObject({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal("AdmissionReview"),
  request: AdmissionRequestSchema,
});

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly message: string; readonly reason?: string };
  readonly patchType?: "JSONPatch";
  readonly patch?: string;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: "AdmissionReview";
  readonly response: AdmissionResponse;
}

// The API server shows at most a few warnings and truncates long ones; keep them readable.
const MAX_WARNINGS = 5;
const MAX_WARNING_LENGTH = 256;

export function allow(
  uid: string,
  patch: readonly PatchOperation[] = [],
  warnings: readonly string[] = [],
): AdmissionResponse {
  return {
    uid,
    allowed: true,
    ...(patch.length === 0
      ? {}
      : { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") }),
    ...(warnings.length === 0 ? {} : { warnings: trimWarnings(warnings) }),
  };
}

/** A refusal. `code` 403 for a policy refusal, 400 for a malformed request, 5xx when the webhook failed. */
export function deny(uid: string, message: string, code = 403): AdmissionResponse {
  const reason = code === 400 ? "BadRequest" : code >= 500 ? "InternalError" : "Forbidden";
  return { uid, allowed: false, status: { code, message, reason } };
}

export function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

export type ParsedReview =
  | { readonly ok: true; readonly request: AdmissionRequest }
  /** Malformed: `uid` set when the body still named one, so the answer can be an AdmissionReview. */
  | { readonly ok: false; readonly uid: string | undefined; readonly message: string };

/**
 * Deepest nesting accepted in object/oldObject. Real workloads stay under ~20 levels; the recursive
 * diffing and canonicalisation downstream must never meet input that could exhaust the stack.
 */
export const MAX_OBJECT_DEPTH = 100;

export function parseAdmissionReview(body: unknown): ParsedReview {
  const parsed = AdmissionReviewSchema.safeParse(body);
  if (parsed.success) {
    const { request } = parsed.data;
    for (const field of ["object", "oldObject"] as const) {
      if (exceedsDepth(request[field], MAX_OBJECT_DEPTH)) {
        const message = `malformed AdmissionReview: request.${field} is nested deeper than ${MAX_OBJECT_DEPTH} levels`;
        return { ok: false, uid: request.uid, message };
      }
    }
    return { ok: true, request };
  }
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
  return {
    ok: false,
    uid: uidOf(body),
    message: `malformed AdmissionReview${where}: ${issue?.message ?? "invalid"}; expected admission.k8s.io/v1 AdmissionReview with a request`,
  };
}

function uidOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const request = (body as { request?: unknown }).request;
  if (typeof request !== "object" || request === null) return undefined;
  const uid = (request as { uid?: unknown }).uid;
  return typeof uid === "string" && uid.length > 0 && uid.length <= 256 ? uid : undefined;
}

function trimWarnings(warnings: readonly string[]): string[] {
  return warnings
    .slice(0, MAX_WARNINGS)
    .map((w) => (w.length > MAX_WARNING_LENGTH ? `${w.slice(0, MAX_WARNING_LENGTH - 1)}…` : w));
}

/** Recursion never goes deeper than `limit`, so the check itself cannot overflow the stack. */
export function exceedsDepth(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit <= 0) return true;
  const children: readonly unknown[] = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) {
    if (typeof child === "object" && child !== null && exceedsDepth(child, limit - 1)) return true;
  }
  return false;
}
