// The VirtualService spec for a weight and matches, computed from the user's original spec (SPEC §5.4). Pure.
//
// - Routes: the named http routes, or every http route with a destination on the stable Service.
// - Weights: in each route, the stable destinations' share becomes (100 − w)% of what they had and the canary
//   destination (canary Service host, or the canary subset) gets w%. Other destinations keep their weight.
// - Matches: a canary-only copy of each route is inserted right before it, matching the route's own matches
//   AND ours — placed there, it cannot capture requests an earlier route would have taken.
import { istioCanaryMatches } from "./matches.ts";
import { arrayAt, isObject, objectAt, stringAt } from "./json.ts";
import type { DesiredTraffic, JsonObject, JsonValue } from "./types.ts";

export interface VirtualServiceRouting {
  /** `VirtualService shop/web`, for messages. */
  readonly describe: string;
  readonly namespace: string;
  readonly stableService: string;
  /** Named routes to shift; empty: every route with a stable destination. */
  readonly routes: readonly string[];
  readonly destination:
    | { readonly kind: "service"; readonly canaryService: string }
    | { readonly kind: "subset"; readonly stableSubset: string; readonly canarySubset: string };
}

/** Whether a destination host names `service` in `namespace` (short, namespaced or fully-qualified form). */
export function hostRefersTo(host: string, service: string, namespace: string): boolean {
  return (
    host === service ||
    host === `${service}.${namespace}` ||
    host === `${service}.${namespace}.svc` ||
    host.startsWith(`${service}.${namespace}.svc.`)
  );
}

/** The same host form, naming another Service (`web.shop.svc.cluster.local` → `web-canary.shop.svc.cluster.local`). */
function renameHost(host: string, from: string, to: string): string {
  return host === from ? to : `${to}${host.slice(from.length)}`;
}

type Role = "stable" | "canary" | "other";

function roleOf(destination: JsonValue, routing: VirtualServiceRouting): Role {
  const d = objectAt(objectAt(destination)["destination"]);
  const host = stringAt(d["host"]) ?? "";
  const subset = stringAt(d["subset"]);
  const dest = routing.destination;
  if (dest.kind === "service") {
    if (hostRefersTo(host, dest.canaryService, routing.namespace)) return "canary";
    return hostRefersTo(host, routing.stableService, routing.namespace) ? "stable" : "other";
  }
  if (!hostRefersTo(host, routing.stableService, routing.namespace)) return "other";
  if (subset === dest.canarySubset) return "canary";
  return subset === undefined || subset === dest.stableSubset ? "stable" : "other";
}

function hasStableDestination(route: JsonValue, routing: VirtualServiceRouting): boolean {
  return arrayAt(objectAt(route)["route"]).some((d) => roleOf(d, routing) === "stable");
}

/** Which http routes to shift, by index, or why none can be. */
export function selectRoutes(
  http: readonly JsonValue[],
  routing: VirtualServiceRouting,
):
  | { readonly ok: true; readonly indices: readonly number[] }
  | { readonly ok: false; readonly problem: string } {
  const names = http.map((r) => stringAt(objectAt(r)["name"]));
  if (routing.routes.length > 0) {
    const missing = routing.routes.filter((n) => !names.includes(n));
    if (missing.length > 0) {
      const known = names.filter((n) => n !== undefined);
      return {
        ok: false,
        problem:
          `${routing.describe} has no http route named ${missing.map((n) => `"${n}"`).join(", ")} ` +
          `(its named routes: ${known.length > 0 ? known.join(", ") : "none"}): fix trafficRouting.istio.virtualService.routes or name the route`,
      };
    }
    const indices = routing.routes.map((n) => names.indexOf(n));
    const noStable = indices.filter((i) => !hasStableDestination(http[i] ?? null, routing));
    if (noStable.length > 0) {
      return {
        ok: false,
        problem: `route ${noStable.map((i) => `"${names[i] ?? i}"`).join(", ")} of ${routing.describe} has no destination on Service ${routing.stableService}: add one or list another route`,
      };
    }
    return { ok: true, indices: [...new Set(indices)].sort((a, b) => a - b) };
  }
  const indices = http.flatMap((r, i) => (hasStableDestination(r, routing) ? [i] : []));
  if (indices.length === 0) {
    return {
      ok: false,
      problem: `${routing.describe} has no http route with a destination on Service ${routing.stableService}: route it to ${routing.stableService} or fix trafficRouting.service`,
    };
  }
  return { ok: true, indices };
}

/** Splits `total` over `parts` proportionally to their weights with integers only (largest remainder). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i] = (out[i] ?? 0) + 1;
    left -= 1;
  }
  return out;
}

function weightOf(destination: JsonValue, single: boolean): number {
  const w = objectAt(destination)["weight"];
  if (typeof w === "number") return w;
  return single ? 100 : 0;
}

function canaryDestination(stableDestination: JsonValue, routing: VirtualServiceRouting): JsonObject {
  const d = objectAt(objectAt(stableDestination)["destination"]);
  const dest = routing.destination;
  if (dest.kind === "subset") return { ...d, subset: dest.canarySubset };
  const host = stringAt(d["host"]) ?? routing.stableService;
  const { subset: _subset, ...rest } = d;
  return { ...rest, host: renameHost(host, routing.stableService, dest.canaryService) };
}

/**
 * In subset mode a stable destination without a subset would reach every pod of the Service, canary pods
 * included: it is pointed at the stable subset.
 */
function stableDestination(destination: JsonValue, routing: VirtualServiceRouting): JsonObject {
  const d = objectAt(destination);
  if (routing.destination.kind !== "subset") return d;
  return { ...d, destination: { ...objectAt(d["destination"]), subset: routing.destination.stableSubset } };
}

/** The route's destinations with the canary at `weight` %. */
function weightedRoute(route: JsonObject, routing: VirtualServiceRouting, weight: number): JsonObject {
  const destinations = arrayAt(route["route"]);
  const single = destinations.length === 1;
  const roles = destinations.map((d) => roleOf(d, routing));
  const stableIdx = roles.flatMap((r, i) => (r === "stable" ? [i] : []));
  const canaryIdx = roles.indexOf("canary");
  const pool = [...stableIdx, ...(canaryIdx >= 0 ? [canaryIdx] : [])].reduce(
    (sum, i) => sum + weightOf(destinations[i] ?? null, single),
    0,
  );
  const canaryWeight = Math.round((pool * weight) / 100);
  const stableWeights = apportion(
    pool - canaryWeight,
    stableIdx.map((i) => weightOf(destinations[i] ?? null, single)),
  );
  const out: JsonValue[] = destinations.map((d, i) => {
    const s = stableIdx.indexOf(i);
    if (s >= 0) return { ...stableDestination(d, routing), weight: stableWeights[s] ?? 0 };
    if (i === canaryIdx) return { ...objectAt(d), weight: canaryWeight };
    return d;
  });
  if (canaryIdx < 0) {
    out.push({
      destination: canaryDestination(destinations[stableIdx[0] ?? 0] ?? null, routing),
      weight: canaryWeight,
    });
  }
  return { ...route, route: out };
}

/** A copy of `route` that sends only requests matching `desired.matches` (and the route's own) to the canary. */
function canaryOnlyRoute(
  route: JsonObject,
  index: number,
  routing: VirtualServiceRouting,
  desired: DesiredTraffic,
): JsonObject {
  const destinations = arrayAt(route["route"]);
  const stable = destinations.find((d) => roleOf(d, routing) === "stable") ?? null;
  const name = stringAt(route["name"]);
  return {
    ...route,
    name: `slipway-canary-${name ?? String(index)}`,
    match: istioCanaryMatches(route["match"], desired.matches),
    route: [{ destination: canaryDestination(stable, routing) }],
  };
}

/** The spec for `desired`, computed from the original spec; or why the VirtualService cannot be shifted. */
export function virtualServiceSpecFor(
  original: JsonValue,
  routing: VirtualServiceRouting,
  desired: DesiredTraffic,
): { readonly ok: true; readonly value: JsonObject } | { readonly ok: false; readonly problem: string } {
  const spec = objectAt(original);
  const http = arrayAt(spec["http"]);
  const selected = selectRoutes(http, routing);
  if (!selected.ok) return selected;
  const out: JsonValue[] = [];
  http.forEach((route, i) => {
    if (!selected.indices.includes(i) || !isObject(route)) {
      out.push(route);
      return;
    }
    if (desired.matches.length > 0) out.push(canaryOnlyRoute(route, i, routing, desired));
    out.push(weightedRoute(route, routing, desired.weight));
  });
  return { ok: true, value: { ...spec, http: out } };
}
