// Matches (SPEC §2.1: OR across matches, AND across the headers of one) in each router's language.
//
// Cookies: a header condition named `canary-by-cookie` means "requests carrying the cookie named <value>
// set to `always`" — nginx's own canary-by-cookie rule. Istio gets the same meaning as a regular expression
// on the Cookie header, so one Rollout means the same thing behind either router.
import { arrayAt, isObject } from "./json.ts";
import type { HeaderCondition, JsonObject, JsonValue, TrafficMatch } from "./types.ts";

export const COOKIE_MATCH_NAME = "canary-by-cookie";

export const isCookieCondition = (h: HeaderCondition): boolean => h.name.toLowerCase() === COOKIE_MATCH_NAME;

const NGINX = "nginx.ingress.kubernetes.io";
export const NGINX_ANNOTATIONS = {
  canary: `${NGINX}/canary`,
  weight: `${NGINX}/canary-weight`,
  weightTotal: `${NGINX}/canary-weight-total`,
  byHeader: `${NGINX}/canary-by-header`,
  byHeaderValue: `${NGINX}/canary-by-header-value`,
  byHeaderPattern: `${NGINX}/canary-by-header-pattern`,
  byCookie: `${NGINX}/canary-by-cookie`,
} as const;

/**
 * nginx's canary annotations for a weight and matches. nginx can test one header (or one cookie) per
 * canary Ingress, so more than one condition is refused (the Rollout's CEL rules refuse it at admission too).
 */
export function nginxCanaryAnnotations(
  weight: number,
  matches: readonly TrafficMatch[],
):
  | { readonly ok: true; readonly annotations: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly problem: string } {
  const base = {
    [NGINX_ANNOTATIONS.canary]: "true",
    [NGINX_ANNOTATIONS.weight]: String(weight),
    [NGINX_ANNOTATIONS.weightTotal]: "100",
  };
  const conditions = matches.flatMap((m) => m.headers);
  if (conditions.length === 0) return { ok: true, annotations: base };
  const [only] = conditions;
  if (conditions.length > 1 || only === undefined) {
    return {
      ok: false,
      problem: `nginx routes a canary by one header only, this step has ${conditions.length} header conditions: give the step at most one match with exactly one header, or use istio`,
    };
  }
  if (isCookieCondition(only)) {
    if (only.type !== "Exact") {
      return {
        ok: false,
        problem: `the ${COOKIE_MATCH_NAME} match takes a cookie name with type Exact, not ${only.type}`,
      };
    }
    return { ok: true, annotations: { ...base, [NGINX_ANNOTATIONS.byCookie]: only.value } };
  }
  const valueKey =
    only.type === "Exact" ? NGINX_ANNOTATIONS.byHeaderValue : NGINX_ANNOTATIONS.byHeaderPattern;
  return {
    ok: true,
    annotations: { ...base, [NGINX_ANNOTATIONS.byHeader]: only.name, [valueKey]: only.value },
  };
}

/** True for every annotation key Slipway manages on a canary Ingress. */
export function isNginxCanaryAnnotation(key: string): boolean {
  return key.startsWith(`${NGINX}/canary`);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Istio's HTTPMatchRequest.headers for one match (header names lower-cased, as Istio requires). */
export function istioHeaders(match: TrafficMatch): JsonObject {
  const headers: Record<string, JsonValue> = {};
  for (const h of match.headers) {
    if (isCookieCondition(h)) {
      headers["cookie"] = { regex: `^(.*?;\\s*)?(${escapeRegex(h.value)}=always)(;.*)?$` };
    } else {
      headers[h.name.toLowerCase()] = h.type === "Exact" ? { exact: h.value } : { regex: h.value };
    }
  }
  return headers;
}

/**
 * The match list of a canary-only copy of a route: every match of the route (or "anything" when it has
 * none) AND every one of ours, so the copy never catches requests the route itself would not see.
 */
export function istioCanaryMatches(
  routeMatch: JsonValue | undefined,
  matches: readonly TrafficMatch[],
): JsonValue[] {
  const own = arrayAt(routeMatch).filter(isObject);
  const bases: readonly JsonObject[] = own.length > 0 ? own : [{}];
  return bases.flatMap((base) =>
    matches.map((m) => ({
      ...base,
      headers: { ...(isObject(base["headers"]) ? base["headers"] : {}), ...istioHeaders(m) },
    })),
  );
}
