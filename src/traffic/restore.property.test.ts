// Properties of every provider, over random user objects and random sequences of steps:
//   (a) restore after any sequence of ensure/route-to-stable calls gives back every user object byte for byte
//       (only resourceVersion moves) and removes every object Slipway created;
//   (b) the state after a sequence equals the state after its last call alone (computed from the saved
//       original, never from the last written state), and a settled call plans no writes (idempotent).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trafficSession, type TrafficProgress } from "./session.ts";
import { FakeTrafficIO } from "./testing/fake-io.ts";
import {
  backend,
  destinationRule,
  ingress,
  istioTarget,
  nginxTarget,
  service,
  virtualService,
} from "./testing/fixtures.ts";
import type { DesiredTraffic, JsonObject, TrafficMatch, TrafficTarget } from "./types.ts";

async function settle(op: () => Promise<TrafficProgress>): Promise<TrafficProgress> {
  for (let i = 0; i < 12; i++) {
    const p = await op();
    if (p.kind === "done" || p.kind === "blocked") return p;
  }
  throw new Error("did not settle in 12 rounds");
}

const headerArb = fc.record({
  name: fc.constantFrom("x-canary", "X-User", "canary-by-cookie", "x-region"),
  value: fc.constantFrom("true", "beta", "^eu-.*", "1"),
  type: fc.constantFrom("Exact" as const, "RegularExpression" as const),
});
const matchesArb = (maxHeaders: number): fc.Arbitrary<TrafficMatch[]> =>
  fc.array(fc.record({ headers: fc.array(headerArb, { minLength: 1, maxLength: maxHeaders }) }), {
    maxLength: maxHeaders > 1 ? 2 : 1,
  });

type Call = { readonly kind: "ensure"; readonly desired: DesiredTraffic } | { readonly kind: "toStable" };
const callsArb = (maxHeaders: number): fc.Arbitrary<Call[]> =>
  fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("ensure" as const),
          desired: fc.record({ weight: fc.integer({ min: 0, max: 100 }), matches: matchesArb(maxHeaders) }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "toStable" as const }) },
    ),
    { minLength: 1, maxLength: 5 },
  );

// The API server never stores an empty annotations map (omitempty), so neither do these objects.
const annotationsArb = fc.option(
  fc.dictionary(
    fc.constantFrom("a.example/x", "kubectl.kubernetes.io/last-applied-configuration"),
    fc.string({ maxLength: 8 }),
    { minKeys: 1 },
  ),
  { nil: undefined },
);

// -- Istio ------------------------------------------------------------------------------------------------
const hostArb = fc.constantFrom("web", "web", "web.shop.svc.cluster.local", "other", "web.shop");
const destinationArb = fc.record(
  { host: hostArb, subset: fc.constantFrom("stable", "v2"), port: fc.constant({ number: 80 }) },
  { requiredKeys: ["host"] },
);
const routeArb = fc.record(
  {
    name: fc.constantFrom("primary", "api", "admin", "legacy"),
    match: fc.constant([{ uri: { prefix: "/api" } }]),
    timeout: fc.constant("5s"),
    route: fc.array(
      fc.record(
        { destination: destinationArb, weight: fc.integer({ min: 0, max: 100 }) },
        { requiredKeys: ["destination"] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  },
  { requiredKeys: ["route"] },
);
const vsSpecArb = fc.record(
  {
    hosts: fc.constant(["web.example"]),
    gateways: fc.constant(["mesh"]),
    http: fc.uniqueArray(routeArb, { minLength: 1, maxLength: 4, selector: (r) => r.name ?? Math.random() }),
    tcp: fc.constant([{ route: [{ destination: { host: "web" } }] }]),
  },
  { requiredKeys: ["http"] },
);

describe("restore gives back the original, byte for byte", () => {
  it("Istio VirtualService (v1 or v1beta1, named or unnamed routes, subset mode)", async () => {
    await fc.assert(
      fc.asyncProperty(
        vsSpecArb,
        fc.constantFrom("v1", "v1beta1"),
        fc.boolean(),
        fc.option(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { nil: undefined }),
        annotationsArb,
        callsArb(3),
        async (spec, version, subsets, pick, annotations, calls) => {
          // Named mode lists some of the routes the spec has (a missing name is a unit test of its own).
          const names = spec.http.flatMap((r, i) =>
            r.name !== undefined && pick?.[i] === true ? [r.name] : [],
          );
          const routes = pick === undefined ? [] : names;
          const io = new FakeTrafficIO();
          io.istio = version;
          const originals = [
            io.put(service()),
            io.put(virtualService(spec as JsonObject, version, annotations)),
            io.put({
              ...destinationRule(
                { host: "web", subsets: [{ name: "stable", labels: { app: "web" } }] },
                version,
              ),
            }),
          ];
          const t = istioTarget({ subsets, ...(routes.length > 0 ? { routes } : {}) });
          await runAndRestore(io, t, calls, originals);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("nginx: canary Ingress and Services (the stable Ingress is never written)", async () => {
    const pathArb = fc.record({
      path: fc.constantFrom("/", "/api"),
      pathType: fc.constant("Prefix"),
      backend: fc.constantFrom("web", "admin").map((n) => backend(n)),
    });
    const ingressArb = fc.record(
      {
        ingressClassName: fc.constant("nginx"),
        tls: fc.constant([{ hosts: ["a.example"], secretName: "tls" }]),
        rules: fc.array(
          fc.record({
            host: fc.constantFrom("a.example", "b.example"),
            http: fc.record({ paths: fc.array(pathArb, { minLength: 1, maxLength: 3 }) }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      },
      { requiredKeys: ["rules"] },
    );
    await fc.assert(
      fc.asyncProperty(ingressArb, annotationsArb, callsArb(1), async (spec, annotations, calls) => {
        const io = new FakeTrafficIO();
        const originals = [
          io.put(service({}, annotations === undefined ? {} : { annotations })),
          io.put(ingress(spec as JsonObject, annotations)),
        ];
        await runAndRestore(io, nginxTarget(), calls, originals);
        expect(io.writes.filter((w) => w.ref.kind === "Ingress" && w.ref.name === "web")).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

const withoutVersion = (o: JsonObject | undefined): string =>
  JSON.stringify(
    o === undefined ? null : { ...o, metadata: { ...(o["metadata"] as JsonObject), resourceVersion: "" } },
  );

const userObjects = (io: FakeTrafficIO, originals: readonly JsonObject[]) =>
  originals.map((o) => {
    const m = o["metadata"] as JsonObject;
    return io.find(o["kind"] as never, m["namespace"] as string, m["name"] as string);
  });

async function runAndRestore(
  io: FakeTrafficIO,
  t: TrafficTarget,
  calls: readonly Call[],
  originals: readonly JsonObject[],
): Promise<void> {
  const session = trafficSession(io, t);
  let last: Call | undefined;
  for (const call of calls) {
    const p = await settle(() =>
      call.kind === "ensure" ? session.ensure(call.desired) : session.routeToStable(),
    );
    last = p.kind === "done" ? call : undefined;
    if (p.kind === "done") {
      // Idempotent: a settled call plans nothing more.
      const before = io.writes.length;
      await (call.kind === "ensure" ? session.ensure(call.desired) : session.routeToStable());
      expect(io.writes.length).toBe(before);
    }
  }
  // Computed from the saved original: a last ensure that settled, run alone on fresh copies of the originals,
  // ends the same. (A blocked one changed nothing, and leaves what came before.)
  if (last?.kind === "ensure") {
    const fresh = new FakeTrafficIO();
    fresh.istio = io.istio;
    for (const o of originals) fresh.put(o);
    await settle(() => trafficSession(fresh, t).ensure(last.desired));
    const specs = (x: FakeTrafficIO) => [...x.objects.values()].map((o) => JSON.stringify(o["spec"])).sort();
    expect(specs(io)).toEqual(specs(fresh));
  }
  expect((await settle(() => session.removeRouting())).kind).toBe("done");
  expect(userObjects(io, originals).map(withoutVersion)).toEqual(originals.map(withoutVersion));
  expect(io.objects.size).toBe(originals.length);
}
