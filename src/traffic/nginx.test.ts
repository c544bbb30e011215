import { describe, expect, it } from "vitest";
import { NGINX_ANNOTATIONS as A } from "./matches.ts";
import { canaryIngressFrom, nginxProvider, type ObservedNginx } from "./nginx.ts";
import { observedFrom } from "./objects.ts";
import { backend, ingress, nginxTarget, OWNER, typicalIngress } from "./testing/fixtures.ts";
import type { DesiredTraffic, JsonObject, Plan, TrafficMatch, TrafficWrite } from "./types.ts";

const observed = (o: JsonObject, uid = "u1", rv = "1") =>
  observedFrom({ ...o, metadata: { uid, resourceVersion: rv, ...(o["metadata"] as JsonObject) } });

function built(stable: JsonObject, desired: DesiredTraffic): JsonObject {
  const result = canaryIngressFrom(observed(stable), nginxTarget(), desired);
  if (!result.ok) throw new Error(result.problem);
  return result.object;
}

const annotationsOf = (o: JsonObject) => (o["metadata"] as JsonObject)["annotations"];
const header = (
  name: string,
  value: string,
  type: "Exact" | "RegularExpression" = "Exact",
): TrafficMatch => ({
  headers: [{ name, value, type }],
});

function writesOf(plan: Plan): TrafficWrite[] {
  if (plan.kind === "problem") throw new Error(plan.problem);
  return plan.stages.flat();
}

describe("the canary Ingress", () => {
  it("copies only the paths whose backend is the stable Service, renamed to the canary Service, with class and TLS", () => {
    const obj = built(typicalIngress(), { weight: 5, matches: [] });
    expect(obj).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "web-canary",
        namespace: "shop",
        annotations: {
          "kubernetes.io/ingress.class": "nginx",
          [A.canary]: "true",
          [A.weight]: "5",
          [A.weightTotal]: "100",
        },
        ownerReferences: [{ ...OWNER, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["shop.example"], secretName: "shop-tls" }],
        rules: [
          {
            host: "shop.example",
            http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("web-canary") }] },
          },
        ],
      },
    });
  });

  it("does not copy the stable Ingress's other annotations (nginx canaries inherit them)", () => {
    const annotations = annotationsOf(built(typicalIngress(), { weight: 0, matches: [] })) as JsonObject;
    expect(annotations["example.com/team"]).toBeUndefined();
  });

  it("has no class fields when the stable Ingress has none", () => {
    const obj = built(
      ingress({ rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("web") }] } }] }),
      {
        weight: 50,
        matches: [],
      },
    );
    expect(obj["spec"]).toEqual({
      rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("web-canary") }] } }],
    });
    expect(Object.keys(annotationsOf(obj) as JsonObject)).not.toContain("kubernetes.io/ingress.class");
  });

  it.each([0, 5, 50, 100])("sets canary-weight %i", (weight) => {
    expect(annotationsOf(built(typicalIngress(), { weight, matches: [] }))).toMatchObject({
      [A.canary]: "true",
      [A.weight]: String(weight),
      [A.weightTotal]: "100",
    });
  });

  it("turns an Exact header match into canary-by-header and canary-by-header-value", () => {
    const a = annotationsOf(
      built(typicalIngress(), { weight: 5, matches: [header("x-canary", "true")] }),
    ) as JsonObject;
    expect(a[A.byHeader]).toBe("x-canary");
    expect(a[A.byHeaderValue]).toBe("true");
    expect(a[A.byHeaderPattern]).toBeUndefined();
  });

  it("turns a RegularExpression header match into canary-by-header-pattern", () => {
    const a = annotationsOf(
      built(typicalIngress(), { weight: 5, matches: [header("x-user", "^beta-.*", "RegularExpression")] }),
    ) as JsonObject;
    expect(a[A.byHeader]).toBe("x-user");
    expect(a[A.byHeaderPattern]).toBe("^beta-.*");
    expect(a[A.byHeaderValue]).toBeUndefined();
  });

  it("turns a canary-by-cookie match into canary-by-cookie", () => {
    const a = annotationsOf(
      built(typicalIngress(), { weight: 0, matches: [header("canary-by-cookie", "beta")] }),
    ) as JsonObject;
    expect(a[A.byCookie]).toBe("beta");
    expect(a[A.byHeader]).toBeUndefined();
  });

  it("refuses more than one header condition (nginx tests one header)", () => {
    const result = canaryIngressFrom(observed(typicalIngress()), nginxTarget(), {
      weight: 5,
      matches: [header("a", "1"), header("b", "2")],
    });
    expect(result.ok ? "" : result.problem).toMatch(/nginx routes a canary by one header only/);
  });

  it("reports an Ingress that does not route to the stable Service", () => {
    const other = ingress({
      rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("admin") }] } }],
    });
    const result = canaryIngressFrom(observed(other), nginxTarget(), { weight: 5, matches: [] });
    expect(result.ok ? "" : result.problem).toBe(
      "Ingress shop/web has no rule whose backend is Service web (trafficRouting.service): point a path's backend.service.name at web, or fix trafficRouting.nginx.ingress / trafficRouting.service",
    );
  });
});

describe("the nginx provider's plans", () => {
  const t = nginxTarget();
  const canaryOf = (desired: DesiredTraffic) => observed(built(typicalIngress(), desired), "canary-uid", "7");

  it("creates the canary Ingress when it is missing", () => {
    const plan = nginxProvider.planEnsure(
      { stable: observed(typicalIngress()), canary: undefined },
      t,
      { weight: 5, matches: [] },
      { createMissing: true },
    );
    expect(writesOf(plan).map((w) => w.type)).toEqual(["create"]);
  });

  it("plans nothing when the canary Ingress is already right (idempotent)", () => {
    const world: ObservedNginx = {
      stable: observed(typicalIngress()),
      canary: canaryOf({ weight: 50, matches: [] }),
    };
    expect(
      writesOf(nginxProvider.planEnsure(world, t, { weight: 50, matches: [] }, { createMissing: true })),
    ).toEqual([]);
  });

  it("patches annotations and spec, preconditioned on the version it read", () => {
    const world: ObservedNginx = {
      stable: observed(typicalIngress()),
      canary: canaryOf({ weight: 5, matches: [] }),
    };
    const [w] = writesOf(
      nginxProvider.planEnsure(
        world,
        t,
        { weight: 50, matches: [header("x-canary", "true")] },
        { createMissing: true },
      ),
    );
    expect(w?.type).toBe("patch");
    if (w?.type !== "patch") return;
    expect(w.resourceVersion).toBe("7");
    expect(w.ops[0]).toMatchObject({ op: "add", path: "/metadata/annotations" });
    expect((w.ops[0] as { value: JsonObject }).value).toMatchObject({
      [A.weight]: "50",
      [A.byHeader]: "x-canary",
    });
  });

  it("reports a missing stable Ingress and writes nothing", () => {
    const plan = nginxProvider.planEnsure(
      { stable: undefined, canary: undefined },
      t,
      { weight: 5, matches: [] },
      { createMissing: true },
    );
    expect(plan.kind === "problem" ? plan.problem : "").toMatch(
      /^Ingress shop\/web \(trafficRouting.nginx.ingress\) not found/,
    );
  });

  it("routes to stable with the canary Ingress alone: weight 0, matches dropped, nothing else touched", () => {
    const world: ObservedNginx = {
      stable: undefined,
      canary: canaryOf({ weight: 50, matches: [header("x-canary", "true")] }),
    };
    const [w] = writesOf(
      nginxProvider.planEnsure(world, t, { weight: 0, matches: [] }, { createMissing: false }),
    );
    expect(w?.type === "patch" && w.ops).toEqual([
      {
        op: "add",
        path: "/metadata/annotations",
        value: {
          "kubernetes.io/ingress.class": "nginx",
          [A.canary]: "true",
          [A.weight]: "0",
          [A.weightTotal]: "100",
        },
      },
    ]);
  });

  it("routing to stable before any canary Ingress exists writes nothing", () => {
    const plan = nginxProvider.planEnsure(
      { stable: observed(typicalIngress()), canary: undefined },
      t,
      { weight: 0, matches: [] },
      { createMissing: false },
    );
    expect(writesOf(plan)).toEqual([]);
  });

  it("restore deletes the canary Ingress it owns, never the stable one or a stranger's", () => {
    const ours = canaryOf({ weight: 5, matches: [] });
    const restore = writesOf(
      nginxProvider.planRestore({ stable: observed(typicalIngress()), canary: ours }, t),
    );
    expect(restore).toEqual([
      {
        type: "delete",
        ref: { kind: "Ingress", apiVersion: "networking.k8s.io/v1", namespace: "shop", name: "web-canary" },
        uid: "canary-uid",
        reason: "delete Ingress shop/web-canary",
      },
    ]);
    const stranger = observed({ ...typicalIngress(), metadata: { name: "web-canary", namespace: "shop" } });
    expect(writesOf(nginxProvider.planRestore({ stable: undefined, canary: stranger }, t))).toEqual([]);
    const ensure = nginxProvider.planEnsure(
      { stable: observed(typicalIngress()), canary: stranger },
      t,
      { weight: 5, matches: [] },
      { createMissing: true },
    );
    expect(ensure.kind === "problem" ? ensure.problem : "").toMatch(/not controlled by Rollout shop\/web/);
  });
});
