import { describe, expect, it } from "vitest";
import { ANNOTATION_TRAFFIC_ORIGINAL } from "../api/names.ts";
import { destinationRuleSpecFor } from "./istio-destination-rule.ts";
import {
  apportion,
  hostRefersTo,
  virtualServiceSpecFor,
  type VirtualServiceRouting,
} from "./istio-virtual-service.ts";
import { istioProvider, type ObservedIstio } from "./istio.ts";
import { observedFrom } from "./objects.ts";
import { destinationRule, istioTarget, twoRouteSpec, virtualService } from "./testing/fixtures.ts";
import type { DesiredTraffic, JsonObject, JsonValue, Plan, TrafficWrite } from "./types.ts";

const byService: VirtualServiceRouting = {
  describe: "VirtualService shop/web",
  namespace: "shop",
  stableService: "web",
  routes: [],
  destination: { kind: "service", canaryService: "web-canary" },
};
const bySubset: VirtualServiceRouting = {
  ...byService,
  destination: { kind: "subset", stableSubset: "stable", canarySubset: "canary" },
};

function spec(original: JsonValue, routing: VirtualServiceRouting, desired: DesiredTraffic): JsonObject {
  const result = virtualServiceSpecFor(original, routing, desired);
  if (!result.ok) throw new Error(result.problem);
  return result.value;
}
const http = (s: JsonObject) => s["http"] as JsonObject[];
const weights = (route: JsonObject | undefined) =>
  (route?.["route"] as JsonObject[]).map((d) => [
    (d["destination"] as JsonObject)["host"],
    (d["destination"] as JsonObject)["subset"],
    d["weight"],
  ]);

describe("VirtualService weights", () => {
  it.each([0, 5, 50, 100])("splits a single-destination route %i% to the canary Service", (w) => {
    const s = spec(twoRouteSpec(), { ...byService, routes: ["primary"] }, { weight: w, matches: [] });
    expect(weights(http(s)[1])).toEqual([
      ["web.shop.svc.cluster.local", undefined, 100 - w],
      ["web-canary.shop.svc.cluster.local", undefined, w],
    ]);
  });

  it("leaves a route that is not listed untouched, byte for byte", () => {
    const original = twoRouteSpec();
    const s = spec(original, { ...byService, routes: ["primary"] }, { weight: 50, matches: [] });
    expect(JSON.stringify(http(s)[0])).toBe(JSON.stringify(http(original)[0]));
    expect(s["hosts"]).toEqual(original["hosts"]);
    expect(s["gateways"]).toEqual(original["gateways"]);
  });

  it("without route names shifts every route whose destination is the stable Service, keeping their other fields", () => {
    const s = spec(twoRouteSpec(), byService, { weight: 5, matches: [] });
    expect(weights(http(s)[0])).toEqual([
      ["web", undefined, 95],
      ["web-canary", undefined, 5],
    ]);
    expect(http(s)[0]?.["retries"]).toEqual({ attempts: 3 });
    expect((http(s)[0]?.["route"] as JsonObject[])[1]?.["destination"]).toEqual({
      host: "web-canary",
      port: { number: 80 },
    });
    expect(weights(http(s)[1])[1]).toEqual(["web-canary.shop.svc.cluster.local", undefined, 5]);
  });

  it("reuses a canary destination the user already wrote and keeps other destinations' weights", () => {
    const original = {
      http: [
        {
          name: "primary",
          route: [
            { destination: { host: "web" }, weight: 80 },
            { destination: { host: "web-canary" }, weight: 0 },
            { destination: { host: "legacy" }, weight: 20 },
          ],
        },
      ],
    };
    const s = spec(original, byService, { weight: 50, matches: [] });
    expect(weights(http(s)[0])).toEqual([
      ["web", undefined, 40],
      ["web-canary", undefined, 40],
      ["legacy", undefined, 20],
    ]);
  });

  it("splits by subsets in subset mode", () => {
    const original = {
      http: [
        {
          name: "primary",
          route: [
            { destination: { host: "web", subset: "stable" }, weight: 100 },
            { destination: { host: "web", subset: "canary" }, weight: 0 },
          ],
        },
      ],
    };
    const s = spec(original, { ...bySubset, routes: ["primary"] }, { weight: 5, matches: [] });
    expect(weights(http(s)[0])).toEqual([
      ["web", "stable", 95],
      ["web", "canary", 5],
    ]);
    const plain = spec({ http: [{ route: [{ destination: { host: "web" } }] }] }, bySubset, {
      weight: 50,
      matches: [],
    });
    // A stable destination without a subset would reach canary pods too: it is pointed at the stable subset.
    expect(weights(http(plain)[0])).toEqual([
      ["web", "stable", 50],
      ["web", "canary", 50],
    ]);
  });

  it("reports a listed route that does not exist, naming the routes that do", () => {
    const result = virtualServiceSpecFor(
      twoRouteSpec(),
      { ...byService, routes: ["primary", "checkout"] },
      { weight: 5, matches: [] },
    );
    expect(result.ok ? "" : result.problem).toBe(
      'VirtualService shop/web has no http route named "checkout" (its named routes: api, primary): fix trafficRouting.istio.virtualService.routes or name the route',
    );
  });

  it("reports a VirtualService without any route to the stable Service", () => {
    const result = virtualServiceSpecFor(
      { http: [{ route: [{ destination: { host: "other" } }] }] },
      byService,
      { weight: 5, matches: [] },
    );
    expect(result.ok ? "" : result.problem).toMatch(/has no http route with a destination on Service web/);
  });
});

describe("VirtualService matches", () => {
  const desired: DesiredTraffic = {
    weight: 5,
    matches: [{ headers: [{ name: "X-Canary", value: "true", type: "Exact" }] }],
  };

  it("prepends a canary-only route right before the route it copies", () => {
    const s = spec(twoRouteSpec(), { ...byService, routes: ["primary"] }, desired);
    expect(http(s).map((r) => r["name"])).toEqual(["api", "slipway-canary-primary", "primary"]);
    expect(http(s)[1]).toEqual({
      name: "slipway-canary-primary",
      match: [{ headers: { "x-canary": { exact: "true" } } }],
      route: [{ destination: { host: "web-canary.shop.svc.cluster.local" } }],
    });
  });

  it("ANDs our headers with the route's own matches and keeps its policies", () => {
    const s = spec(
      twoRouteSpec(),
      { ...byService, routes: ["api"] },
      {
        weight: 0,
        matches: [
          { headers: [{ name: "x-canary", value: "true", type: "Exact" }] },
          { headers: [{ name: "x-user", value: "^beta", type: "RegularExpression" }] },
        ],
      },
    );
    expect(http(s)[0]).toEqual({
      name: "slipway-canary-api",
      match: [
        { uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } },
        { uri: { prefix: "/api" }, headers: { "x-user": { regex: "^beta" } } },
      ],
      retries: { attempts: 3 },
      route: [{ destination: { host: "web-canary", port: { number: 80 } } }],
    });
  });

  it("means the same as nginx's canary-by-cookie: the named cookie set to always", () => {
    const s = spec(
      twoRouteSpec(),
      { ...byService, routes: ["primary"] },
      {
        weight: 0,
        matches: [{ headers: [{ name: "canary-by-cookie", value: "beta.user", type: "Exact" }] }],
      },
    );
    const match = (http(s)[1]?.["match"] as JsonObject[])[0] as JsonObject;
    const regex = ((match["headers"] as JsonObject)["cookie"] as JsonObject)["regex"] as string;
    expect(new RegExp(regex).test("a=1; beta.user=always; b=2")).toBe(true);
    expect(new RegExp(regex).test("beta.user=always")).toBe(true);
    expect(new RegExp(regex).test("betaxuser=always")).toBe(false);
    expect(new RegExp(regex).test("beta.user=never")).toBe(false);
  });

  it("uses the canary subset in subset mode", () => {
    const s = spec(
      { http: [{ name: "p", route: [{ destination: { host: "web", subset: "stable" } }] }] },
      bySubset,
      desired,
    );
    expect(http(s)[0]?.["route"]).toEqual([{ destination: { host: "web", subset: "canary" } }]);
  });
});

describe("DestinationRule subsets", () => {
  const routing = {
    describe: "DestinationRule shop/web",
    namespace: "shop",
    stableService: "web",
    revisionLabel: "pod-template-hash",
    subsets: [
      { name: "stable", revision: "s1" },
      { name: "canary", revision: "c1" },
    ],
  };

  it("adds the revision label to existing subsets and appends missing ones", () => {
    const result = destinationRuleSpecFor(
      {
        host: "web.shop.svc.cluster.local",
        trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
        subsets: [{ name: "stable", labels: { app: "web" } }],
      },
      routing,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        host: "web.shop.svc.cluster.local",
        trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
        subsets: [
          { name: "stable", labels: { app: "web", "pod-template-hash": "s1" } },
          { name: "canary", labels: { "pod-template-hash": "c1" } },
        ],
      },
    });
  });

  it("refuses a DestinationRule of another host", () => {
    const result = destinationRuleSpecFor({ host: "payments" }, routing);
    expect(result.ok ? "" : result.problem).toMatch(/has host "payments", not Service web/);
  });
});

describe("the Istio provider", () => {
  const observed = (o: JsonObject, rv = "1") =>
    observedFrom({ ...o, metadata: { uid: "u1", resourceVersion: rv, ...(o["metadata"] as JsonObject) } });
  function writesOf(plan: Plan): TrafficWrite[][] {
    if (plan.kind === "problem") throw new Error(plan.problem);
    return plan.stages.map((s) => [...s]);
  }

  it.each(["v1", "v1beta1"])(
    "writes %s objects at their own apiVersion and saves the original spec",
    (version) => {
      const world: ObservedIstio = {
        version,
        virtualService: observed(virtualService(twoRouteSpec(), version)),
        destinationRule: undefined,
      };
      const [[w]] = writesOf(
        istioProvider.planEnsure(
          world,
          istioTarget({ routes: ["primary"] }),
          { weight: 5, matches: [] },
          { createMissing: true },
        ),
      ) as [[TrafficWrite]];
      expect(w.ref).toEqual({
        kind: "VirtualService",
        apiVersion: `networking.istio.io/${version}`,
        namespace: "shop",
        name: "web",
      });
      expect(w.type === "patch" && w.ops[0]).toEqual({
        op: "add",
        path: "/metadata/annotations",
        value: { [ANNOTATION_TRAFFIC_ORIGINAL]: JSON.stringify(twoRouteSpec()) },
      });
    },
  );

  it("changes the DestinationRule before the VirtualService, and restores in the reverse order", () => {
    const t = istioTarget({ subsets: true });
    const dr = observed(destinationRule({ host: "web" }));
    const vs = observed(virtualService({ http: [{ route: [{ destination: { host: "web" } }] }] }));
    const ensure = writesOf(
      istioProvider.planEnsure(
        { version: "v1", virtualService: vs, destinationRule: dr },
        t,
        { weight: 5, matches: [] },
        { createMissing: true },
      ),
    );
    expect(ensure.map((s) => s.map((w) => w.ref.kind))).toEqual([["DestinationRule"], ["VirtualService"]]);
    const saved = (o: JsonObject) =>
      observed({
        ...o,
        metadata: {
          ...(o["metadata"] as JsonObject),
          annotations: { [ANNOTATION_TRAFFIC_ORIGINAL]: JSON.stringify(o["spec"]) },
        },
      });
    const restore = writesOf(
      istioProvider.planRestore(
        {
          version: "v1",
          virtualService: saved(virtualService({ http: [] })),
          destinationRule: saved(destinationRule({ host: "web" })),
        },
        t,
      ),
    );
    expect(restore.map((s) => s.map((w) => w.ref.kind))).toEqual([["VirtualService"], ["DestinationRule"]]);
  });

  it("needs no Services in subset mode (the canary subset lives behind the stable Service)", () => {
    expect(istioProvider.usesServices(istioTarget({ subsets: true }))).toBe(false);
    expect(istioProvider.usesServices(istioTarget())).toBe(true);
  });

  it("reports a missing VirtualService, DestinationRule or Istio API", () => {
    const problem = (world: ObservedIstio, subsets = false) => {
      const p = istioProvider.planEnsure(
        world,
        istioTarget({ subsets }),
        { weight: 5, matches: [] },
        { createMissing: true },
      );
      return p.kind === "problem" ? p.problem : "";
    };
    expect(problem({ version: "v1", virtualService: undefined, destinationRule: undefined })).toBe(
      "VirtualService shop/web (trafficRouting.istio.virtualService.name) not found: create it or fix spec.strategy.canary.trafficRouting.istio.virtualService.name",
    );
    const vs = observed(virtualService(twoRouteSpec()));
    expect(problem({ version: "v1", virtualService: vs, destinationRule: undefined }, true)).toMatch(
      /^DestinationRule shop\/web .* not found/,
    );
    expect(problem({ version: undefined, virtualService: undefined, destinationRule: undefined })).toMatch(
      /does not serve networking.istio.io/,
    );
  });
});

describe("helpers", () => {
  it("apportions integers that add up", () => {
    expect(apportion(95, [50, 50])).toEqual([48, 47]);
    expect(apportion(7, [1, 1, 1])).toEqual([3, 2, 2]);
    expect(apportion(10, [0, 0])).toEqual([10, 0]);
  });

  it("recognises every host form of a Service in its namespace", () => {
    for (const host of ["web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.local"])
      expect(hostRefersTo(host, "web", "shop")).toBe(true);
    for (const host of ["web.other", "webx", "web.shop.example.com"])
      expect(hostRefersTo(host, "web", "shop")).toBe(false);
  });
});
