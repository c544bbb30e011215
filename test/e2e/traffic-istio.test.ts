// Istio traffic routing against a real API server with Istio's CRDs installed from the test fixtures (no mesh
// runs; the assertions are on the VirtualService and DestinationRule objects). Providers are driven directly.
import { beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_TRAFFIC_ORIGINAL } from "../../src/api/names.ts";
import { KubeTrafficIO } from "../../src/traffic/kube/io.ts";
import { trafficSession } from "../../src/traffic/session.ts";
import type { JsonObject } from "../../src/traffic/types.ts";
import { withNamespace } from "./lib/index.ts";
import {
  annotationsOf,
  applyJson,
  getJson,
  installIstioCrds,
  installRolloutCrd,
  kubeClient,
  rolloutTarget,
  settle,
  specOf,
  userView,
} from "./lib/traffic.ts";

const vsPath = (v: string, ns: string) =>
  `/apis/networking.istio.io/${v}/namespaces/${ns}/virtualservices/web`;
const drPath = (v: string, ns: string) =>
  `/apis/networking.istio.io/${v}/namespaces/${ns}/destinationrules/web`;

const service = (namespace: string): JsonObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }] },
});

/** Two named routes: `api` has its own match and retries, `primary` is the catch-all. */
function virtualService(version: string, namespace: string): JsonObject {
  return {
    apiVersion: `networking.istio.io/${version}`,
    kind: "VirtualService",
    metadata: { name: "web", namespace, annotations: { "team.example/owner": "shop" } },
    spec: {
      hosts: ["web.example"],
      gateways: ["shop-gateway"],
      http: [
        {
          name: "api",
          match: [{ uri: { prefix: "/api" } }],
          retries: { attempts: 3, perTryTimeout: "2s" },
          route: [{ destination: { host: "web", port: { number: 80 } } }],
        },
        {
          name: "primary",
          timeout: "10s",
          route: [
            { destination: { host: "web.NS.svc.cluster.local".replace("NS", namespace) }, weight: 100 },
          ],
        },
      ],
    },
  };
}

const http = (vs: JsonObject | undefined) => specOf(vs)["http"] as JsonObject[];
const routeWeights = (route: JsonObject | undefined) =>
  (route?.["route"] as JsonObject[]).map(
    (d) =>
      `${(d["destination"] as JsonObject)["host"]}${(d["destination"] as JsonObject)["subset"] === undefined ? "" : `/${(d["destination"] as JsonObject)["subset"]}`}=${d["weight"]}`,
  );

beforeAll(async () => {
  await installRolloutCrd();
  await installIstioCrds();
});

describe("Istio traffic routing on a real API server", () => {
  it.each(["v1", "v1beta1"])(
    "%s: weights 0/5/50/100 on the listed one of two named routes; the other untouched; the final spec equals the original",
    async (version) => {
      await withNamespace(
        async (ns) => {
          await applyJson([service(ns), virtualService(version, ns)], ns);
          const target = await rolloutTarget(
            ns,
            { service: "web", istio: { virtualService: { name: "web", routes: ["primary"] } } },
            { stable: "s1", canary: "c1" },
          );
          // v1 is discovered (Slipway's preferred version); v1beta1 is forced, as on a cluster serving only it.
          const io = new KubeTrafficIO(kubeClient(), version === "v1" ? {} : { istioVersion: version });
          expect(await io.istioVersion()).toBe(version);
          const before = await getJson(vsPath(version, ns));
          const session = trafficSession(io, target);
          for (const weight of [0, 5, 50, 100]) {
            expect(await settle(() => session.ensure({ weight, matches: [] }))).toEqual({ kind: "done" });
            const vs = await getJson(vsPath(version, ns));
            expect(JSON.stringify(http(vs)[0])).toBe(JSON.stringify(http(before)[0]));
            expect(routeWeights(http(vs)[1])).toEqual([
              `web.${ns}.svc.cluster.local=${100 - weight}`,
              `web-canary.${ns}.svc.cluster.local=${weight}`,
            ]);
            expect(http(vs)[1]?.["timeout"]).toBe("10s");
            expect(JSON.parse(annotationsOf(vs)[ANNOTATION_TRAFFIC_ORIGINAL] ?? "null")).toEqual(
              specOf(before),
            );
            expect(specOf(await getJson(`/api/v1/namespaces/${ns}/services/web`))["selector"]).toEqual({
              app: "web",
              "pod-template-hash": "s1",
            });
          }
          expect(await settle(() => session.removeRouting())).toEqual({ kind: "done" });
          const after = await getJson(vsPath(version, ns));
          expect(JSON.stringify(specOf(after))).toBe(JSON.stringify(specOf(before)));
          expect(
            userView({ ...after, metadata: { ...(after?.["metadata"] as JsonObject), generation: 0 } }),
          ).toBe(
            userView({ ...before, metadata: { ...(before?.["metadata"] as JsonObject), generation: 0 } }),
          );
          expect(await getJson(`/api/v1/namespaces/${ns}/services/web-canary`)).toBeUndefined();
        },
        { prefix: `traffic-istio-${version}` },
      );
    },
  );

  it("a match produces a prepended canary-only route, removed afterwards", async () => {
    await withNamespace(
      async (ns) => {
        await applyJson([service(ns), virtualService("v1", ns)], ns);
        const target = await rolloutTarget(
          ns,
          { service: "web", istio: { virtualService: { name: "web" } } },
          { stable: "s1", canary: "c1" },
        );
        const session = trafficSession(new KubeTrafficIO(kubeClient()), target);
        const before = await getJson(vsPath("v1", ns));
        await settle(() =>
          session.ensure({
            weight: 5,
            matches: [{ headers: [{ name: "x-canary", value: "true", type: "Exact" }] }],
          }),
        );
        const vs = await getJson(vsPath("v1", ns));
        expect(http(vs).map((r) => r["name"])).toEqual([
          "slipway-canary-api",
          "api",
          "slipway-canary-primary",
          "primary",
        ]);
        expect(http(vs)[0]).toEqual({
          name: "slipway-canary-api",
          match: [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } }],
          retries: { attempts: 3, perTryTimeout: "2s" },
          route: [{ destination: { host: "web-canary", port: { number: 80 } } }],
        });
        expect(http(vs)[2]?.["match"]).toEqual([{ headers: { "x-canary": { exact: "true" } } }]);
        await settle(() => session.ensure({ weight: 50, matches: [] }));
        expect(http(await getJson(vsPath("v1", ns))).map((r) => r["name"])).toEqual(["api", "primary"]);
        await settle(() => session.removeRouting());
        expect(JSON.stringify(specOf(await getJson(vsPath("v1", ns))))).toBe(JSON.stringify(specOf(before)));
      },
      { prefix: "traffic-istio-match" },
    );
  });

  it("subset mode: DestinationRule subsets select the revisions, the VirtualService splits by subset, both restored exactly; the Service is not pinned", async () => {
    await withNamespace(
      async (ns) => {
        const dr: JsonObject = {
          apiVersion: "networking.istio.io/v1",
          kind: "DestinationRule",
          metadata: { name: "web", namespace: ns },
          spec: {
            host: "web",
            trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } },
            subsets: [{ name: "stable", labels: { app: "web" } }],
          },
        };
        const vs: JsonObject = {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: "web", namespace: ns },
          spec: {
            hosts: ["web"],
            http: [{ name: "primary", route: [{ destination: { host: "web", subset: "stable" } }] }],
          },
        };
        await applyJson([service(ns), dr, vs], ns);
        const target = await rolloutTarget(
          ns,
          {
            service: "web",
            istio: {
              virtualService: { name: "web", routes: ["primary"] },
              destinationRule: { name: "web", stableSubset: "stable", canarySubset: "canary" },
            },
          },
          { stable: "s1", canary: "c1" },
        );
        const [drBefore, vsBefore, svcBefore] = await Promise.all([
          getJson(drPath("v1", ns)),
          getJson(vsPath("v1", ns)),
          getJson(`/api/v1/namespaces/${ns}/services/web`),
        ]);
        const session = trafficSession(new KubeTrafficIO(kubeClient()), target);
        await settle(() => session.ensure({ weight: 50, matches: [] }));
        expect(specOf(await getJson(drPath("v1", ns)))["subsets"]).toEqual([
          { name: "stable", labels: { app: "web", "pod-template-hash": "s1" } },
          { name: "canary", labels: { "pod-template-hash": "c1" } },
        ]);
        expect(routeWeights(http(await getJson(vsPath("v1", ns)))[0])).toEqual([
          "web/stable=50",
          "web/canary=50",
        ]);
        expect(JSON.stringify(await getJson(`/api/v1/namespaces/${ns}/services/web`))).toBe(
          JSON.stringify(svcBefore),
        );
        expect(await getJson(`/api/v1/namespaces/${ns}/services/web-canary`)).toBeUndefined();
        await settle(() => session.removeRouting());
        expect(JSON.stringify(specOf(await getJson(drPath("v1", ns))))).toBe(
          JSON.stringify(specOf(drBefore)),
        );
        expect(JSON.stringify(specOf(await getJson(vsPath("v1", ns))))).toBe(
          JSON.stringify(specOf(vsBefore)),
        );
        expect(annotationsOf(await getJson(drPath("v1", ns)))).toEqual({});
      },
      { prefix: "traffic-istio-subsets" },
    );
  });

  it("a missing VirtualService or an unknown route name is a clear error and nothing is changed", async () => {
    await withNamespace(
      async (ns) => {
        await applyJson([service(ns)], ns);
        const target = await rolloutTarget(
          ns,
          { service: "web", istio: { virtualService: { name: "web", routes: ["primary", "checkout"] } } },
          { stable: "s1", canary: "c1" },
        );
        const session = trafficSession(new KubeTrafficIO(kubeClient()), target);
        expect(await session.ensure({ weight: 5, matches: [] })).toEqual({
          kind: "blocked",
          problem: `VirtualService ${ns}/web (trafficRouting.istio.virtualService.name) not found: create it or fix spec.strategy.canary.trafficRouting.istio.virtualService.name`,
        });
        await applyJson([virtualService("v1", ns)], ns);
        const before = await getJson(vsPath("v1", ns));
        expect(await session.ensure({ weight: 5, matches: [] })).toEqual({
          kind: "blocked",
          problem: `VirtualService ${ns}/web has no http route named "checkout" (its named routes: api, primary): fix trafficRouting.istio.virtualService.routes or name the route`,
        });
        expect(JSON.stringify(await getJson(vsPath("v1", ns)))).toBe(JSON.stringify(before));
        expect(await getJson(`/api/v1/namespaces/${ns}/services/web-canary`)).toBeUndefined();
      },
      { prefix: "traffic-istio-missing" },
    );
  });
});
