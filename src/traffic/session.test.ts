import { describe, expect, it } from "vitest";
import { NGINX_ANNOTATIONS as A } from "./matches.ts";
import { trafficSession, type TrafficProgress, type TrafficSession } from "./session.ts";
import { FakeTrafficIO } from "./testing/fake-io.ts";
import {
  destinationRule,
  istioTarget,
  nginxTarget,
  service,
  twoRouteSpec,
  typicalIngress,
  virtualService,
} from "./testing/fixtures.ts";
import type { DesiredTraffic, JsonObject, TrafficTarget } from "./types.ts";

/** Calls `op` until it reports done (at most 10 rounds); returns every progress seen. */
async function settle(op: () => Promise<TrafficProgress>): Promise<TrafficProgress[]> {
  const seen: TrafficProgress[] = [];
  for (let i = 0; i < 10; i++) {
    const p = await op();
    seen.push(p);
    if (p.kind === "done" || p.kind === "blocked") return seen;
  }
  throw new Error(`did not settle: ${JSON.stringify(seen)}`);
}

function log(io: FakeTrafficIO): string[] {
  return io.writes.map((w) => `${w.type} ${w.ref.kind} ${w.ref.name}`);
}

const meta = (o: JsonObject | undefined) => (o?.["metadata"] ?? {}) as JsonObject;
const spec = (o: JsonObject | undefined) => (o?.["spec"] ?? {}) as JsonObject;
const noVersion = (o: JsonObject | undefined) =>
  JSON.stringify({ ...o, metadata: { ...meta(o), resourceVersion: "" } });

function nginxWorld(): {
  io: FakeTrafficIO;
  session: TrafficSession;
  t: TrafficTarget;
  originals: JsonObject[];
} {
  const io = new FakeTrafficIO();
  const originals = [io.put(service()), io.put(typicalIngress())];
  const t = nginxTarget();
  return { io, session: trafficSession(io, t), t, originals };
}

describe("a release through nginx", () => {
  it("pins Services first, then creates the canary Ingress, one stage per call", async () => {
    const { io, session } = nginxWorld();
    const seen = await settle(() => session.ensure({ weight: 0, matches: [] }));
    expect(seen.map((p) => p.kind)).toEqual(["changed", "changed", "done"]);
    expect(log(io)).toEqual(["create Service web-canary", "patch Service web", "create Ingress web-canary"]);
    expect(spec(io.find("Service", "shop", "web"))["selector"]).toEqual({
      app: "web",
      "pod-template-hash": "stable1",
    });
    expect(spec(io.find("Service", "shop", "web-canary"))["selector"]).toEqual({
      app: "web",
      "pod-template-hash": "canary1",
    });
  });

  it("moves the weight step by step with one write each, and nothing when already there", async () => {
    const { io, session } = nginxWorld();
    await settle(() => session.ensure({ weight: 0, matches: [] }));
    for (const weight of [5, 50, 100]) {
      const before = io.writes.length;
      await settle(() => session.ensure({ weight, matches: [] }));
      expect(io.writes.length - before).toBe(1);
      expect(meta(io.find("Ingress", "shop", "web-canary"))["annotations"]).toMatchObject({
        [A.weight]: String(weight),
      });
      expect(await session.ensure({ weight, matches: [] })).toEqual({ kind: "done" });
    }
  });

  it("finishes in the order un-pin, remove routes, delete the canary Service, leaving the originals exactly", async () => {
    const { io, session, originals } = nginxWorld();
    await settle(() =>
      session.ensure({
        weight: 50,
        matches: [{ headers: [{ name: "x-canary", value: "true", type: "Exact" }] }],
      }),
    );
    const before = io.writes.length;
    const seen = await settle(() => session.removeRouting());
    expect(seen.map((p) => p.kind)).toEqual(["changed", "changed", "changed", "done"]);
    expect(log(io).slice(before)).toEqual([
      "patch Service web",
      "delete Ingress web-canary",
      "delete Service web-canary",
    ]);
    expect(noVersion(io.find("Service", "shop", "web"))).toBe(noVersion(originals[0]));
    expect(JSON.stringify(io.find("Ingress", "shop", "web"))).toBe(JSON.stringify(originals[1]));
    expect([...io.objects.keys()].sort()).toEqual(["Ingress/shop/web", "Service/shop/web"]);
  });

  it("releases the pin before a step that moves every pod, keeps it released, and keeps the routes", async () => {
    const { io, session, originals } = nginxWorld();
    await settle(() => session.ensure({ weight: 50, matches: [] }));
    const before = io.writes.length;
    await settle(() => session.unpinStable());
    expect(log(io).slice(before)).toEqual(["patch Service web"]);
    expect(noVersion(io.find("Service", "shop", "web"))).toBe(noVersion(originals[0]));
    await settle(() => session.ensure({ weight: 100, matches: [], pinStable: false }));
    expect(log(io).slice(before + 1)).toEqual(["patch Ingress web-canary"]);
    expect(spec(io.find("Service", "shop", "web"))["selector"]).toEqual({ app: "web" });
    expect(spec(io.find("Service", "shop", "web-canary"))["selector"]).toEqual({
      app: "web",
      "pod-template-hash": "canary1",
    });
  });

  it("routes to stable on abort without un-pinning or deleting anything", async () => {
    const { io, session } = nginxWorld();
    await settle(() =>
      session.ensure({
        weight: 50,
        matches: [{ headers: [{ name: "x-canary", value: "true", type: "Exact" }] }],
      }),
    );
    const before = io.writes.length;
    await settle(() => session.routeToStable());
    expect(log(io).slice(before)).toEqual(["patch Ingress web-canary"]);
    const annotations = meta(io.find("Ingress", "shop", "web-canary"))["annotations"] as JsonObject;
    expect(annotations[A.weight]).toBe("0");
    expect(annotations[A.byHeader]).toBeUndefined();
    expect(spec(io.find("Service", "shop", "web"))["selector"]).toMatchObject({
      "pod-template-hash": "stable1",
    });
  });

  it("an abort before anything was changed writes nothing", async () => {
    const { io, session } = nginxWorld();
    expect(await session.routeToStable()).toEqual({ kind: "done" });
    expect(await session.removeRouting()).toEqual({ kind: "done" });
    expect(io.writes).toEqual([]);
  });

  it("a missing Ingress blocks before any Service is touched", async () => {
    const io = new FakeTrafficIO();
    io.put(service());
    const progress = await trafficSession(io, nginxTarget()).ensure({ weight: 5, matches: [] });
    expect(progress.kind).toBe("blocked");
    expect(progress.kind === "blocked" && progress.problem).toMatch(/Ingress shop\/web .* not found/);
    expect(io.writes).toEqual([]);
  });

  it("a write that loses a race is reported stale and redone from a fresh read", async () => {
    const { io, session } = nginxWorld();
    io.conflictOnce.add("Service/shop/web-canary");
    expect((await session.ensure({ weight: 0, matches: [] })).kind).toBe("stale");
    const seen = await settle(() => session.ensure({ weight: 0, matches: [] }));
    expect(seen.at(-1)).toEqual({ kind: "done" });
    expect(log(io).filter((l) => l === "create Service web-canary")).toHaveLength(1);
  });
});

describe("before the canary revision is known (canary-deployment style, before its first batch)", () => {
  it("pins the stable Service only, checks the Ingress, and refuses any weight for the canary", async () => {
    const io = new FakeTrafficIO();
    io.put(service());
    io.put(typicalIngress());
    const session = trafficSession(io, nginxTarget({ canaryRevision: "" }));
    expect((await settle(() => session.ensure({ weight: 0, matches: [] }))).at(-1)).toEqual({ kind: "done" });
    expect(log(io)).toEqual(["patch Service web"]);
    const weighted = await session.ensure({ weight: 5, matches: [] });
    expect(weighted.kind === "blocked" && weighted.problem).toMatch(/waiting for the canary revision/);
    const missing = new FakeTrafficIO();
    missing.put(service());
    const blocked = await trafficSession(missing, nginxTarget({ canaryRevision: "" })).ensure({
      weight: 0,
      matches: [],
    });
    expect(blocked.kind === "blocked" && blocked.problem).toMatch(/Ingress shop\/web .* not found/);
  });

  it("in subset mode pins the stable subset and routes every stable destination to it", async () => {
    const io = new FakeTrafficIO();
    io.put(destinationRule({ host: "web", subsets: [{ name: "stable", labels: { app: "web" } }] }));
    io.put(virtualService({ http: [{ name: "primary", route: [{ destination: { host: "web" } }] }] }));
    await settle(() =>
      trafficSession(io, istioTarget({ subsets: true }, { canaryRevision: "" })).ensure({
        weight: 0,
        matches: [],
      }),
    );
    expect(spec(io.find("DestinationRule", "shop", "web"))["subsets"]).toEqual([
      { name: "stable", labels: { app: "web", "pod-template-hash": "stable1" } },
    ]);
    const route = (spec(io.find("VirtualService", "shop", "web"))["http"] as JsonObject[])[0];
    expect(route?.["route"]).toEqual([
      { destination: { host: "web", subset: "stable" }, weight: 100 },
      { destination: { host: "web", subset: "canary" }, weight: 0 },
    ]);
  });
});

describe("a release through Istio", () => {
  it("shifts one of two named routes and restores the VirtualService exactly", async () => {
    const io = new FakeTrafficIO();
    io.istio = "v1beta1";
    const originals = [io.put(service()), io.put(virtualService(twoRouteSpec(), "v1beta1"))];
    const session = trafficSession(io, istioTarget({ routes: ["primary"] }));
    for (const weight of [0, 5, 50, 100]) {
      await settle(() => session.ensure({ weight, matches: [] }));
      const http = spec(io.find("VirtualService", "shop", "web"))["http"] as JsonObject[];
      expect(JSON.stringify(http[0])).toBe(JSON.stringify((twoRouteSpec()["http"] as JsonObject[])[0]));
      expect((http[1]?.["route"] as JsonObject[]).map((d) => d["weight"])).toEqual([100 - weight, weight]);
    }
    await settle(() => session.removeRouting());
    expect(JSON.stringify(io.find("VirtualService", "shop", "web"))).toBe(
      JSON.stringify({
        ...originals[1],
        metadata: {
          ...meta(originals[1]),
          resourceVersion: meta(io.find("VirtualService", "shop", "web"))["resourceVersion"],
        },
      }),
    );
    expect(noVersion(io.find("Service", "shop", "web"))).toBe(noVersion(originals[0]));
  });

  it("in subset mode changes DestinationRule then VirtualService, never the Services", async () => {
    const io = new FakeTrafficIO();
    io.put(service());
    io.put(destinationRule({ host: "web" }));
    io.put(virtualService({ http: [{ name: "primary", route: [{ destination: { host: "web" } }] }] }));
    const session = trafficSession(io, istioTarget({ subsets: true }));
    const desired: DesiredTraffic = {
      weight: 5,
      matches: [{ headers: [{ name: "x-canary", value: "true", type: "Exact" }] }],
    };
    await settle(() => session.ensure(desired));
    await settle(() => session.removeRouting());
    expect(log(io)).toEqual([
      "patch DestinationRule web",
      "patch VirtualService web",
      "patch VirtualService web",
      "patch DestinationRule web",
    ]);
  });
});
