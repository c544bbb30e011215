import { describe, expect, it } from "vitest";
import { ANNOTATION_TRAFFIC_ORIGINAL } from "../api/names.ts";
import { observedFrom } from "./objects.ts";
import { canaryServiceFrom, planDeleteCanaryService, planServices, planUnpinStable } from "./services.ts";
import { FakeTrafficIO, applyPatch } from "./testing/fake-io.ts";
import { nginxTarget, OWNER, service } from "./testing/fixtures.ts";
import type { JsonObject, Plan, TrafficWrite } from "./types.ts";

const observed = (o: JsonObject) =>
  observedFrom({ ...o, metadata: { uid: "u1", resourceVersion: "1", ...(o["metadata"] as JsonObject) } });

function writesOf(plan: Plan): TrafficWrite[] {
  if (plan.kind === "problem") throw new Error(plan.problem);
  return plan.stages.flat();
}

describe("canary Service", () => {
  it("copies the stable spec without allocated addresses, node ports or load-balancer fields", () => {
    const stable = observed(
      service({
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        healthCheckNodePort: 31000,
        loadBalancerIP: "1.2.3.4",
        externalIPs: ["5.6.7.8"],
        ipFamilyPolicy: "SingleStack",
        ports: [{ name: "http", port: 80, nodePort: 30080, targetPort: 8080, protocol: "TCP" }],
      }),
    );
    const obj = canaryServiceFrom(stable, nginxTarget(), { app: "web", "pod-template-hash": "canary1" });
    expect(obj).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "web-canary",
        namespace: "shop",
        labels: { app: "web" },
        ownerReferences: [{ ...OWNER, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        type: "ClusterIP",
        sessionAffinity: "None",
        ipFamilyPolicy: "SingleStack",
        ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
        selector: { app: "web", "pod-template-hash": "canary1" },
      },
    });
  });

  it("keeps a headless Service headless", () => {
    const stable = observed(service({ clusterIP: "None", clusterIPs: ["None"] }));
    const spec = canaryServiceFrom(stable, nginxTarget(), { app: "web" })["spec"] as JsonObject;
    expect(spec["clusterIP"]).toBe("None");
    expect(spec["clusterIPs"]).toBeUndefined();
  });
});

describe("pinning the stable Service", () => {
  it("saves the original selector, pins stable and creates the canary Service in one stage", () => {
    const stable = observed(service());
    const plan = planServices({ stable, canary: undefined }, nginxTarget());
    expect(plan.kind === "writes" && plan.stages.length).toBe(1);
    const [create, pin] = writesOf(plan);
    expect(create?.type).toBe("create");
    expect(pin?.type === "patch" && pin.ops).toEqual([
      { op: "add", path: `/metadata/annotations`, value: { [ANNOTATION_TRAFFIC_ORIGINAL]: '{"app":"web"}' } },
      { op: "add", path: "/spec/selector", value: { app: "web", "pod-template-hash": "stable1" } },
    ]);
  });

  it("uses controller-revision-hash for a StatefulSet", () => {
    const t = nginxTarget({
      revisionLabel: "controller-revision-hash",
      stableRevision: "web-5d8f",
      canaryRevision: "web-7c9d",
    });
    const [create, pin] = writesOf(planServices({ stable: observed(service()), canary: undefined }, t));
    const spec = create?.type === "create" ? (create.object["spec"] as JsonObject) : {};
    expect(spec["selector"]).toEqual({ app: "web", "controller-revision-hash": "web-7c9d" });
    expect(pin?.type === "patch" && pin.ops[1]).toEqual({
      op: "add",
      path: "/spec/selector",
      value: { app: "web", "controller-revision-hash": "web-5d8f" },
    });
  });

  it("is idempotent and un-pins back to the exact original", async () => {
    const io = new FakeTrafficIO();
    const original = io.put(service({}, { annotations: { "team.example/owner": "shop" } }));
    const t = nginxTarget();
    for (let round = 0; round < 2; round++) {
      const stable = await io.get({ kind: "Service", apiVersion: "v1", namespace: "shop", name: "web" });
      const canary = await io.get({
        kind: "Service",
        apiVersion: "v1",
        namespace: "shop",
        name: "web-canary",
      });
      const writes = writesOf(planServices({ stable, canary }, t));
      if (round === 1) expect(writes).toEqual([]);
      for (const w of writes) expect(await io.apply(w)).toBe("ok");
    }
    const pinned = await io.get({ kind: "Service", apiVersion: "v1", namespace: "shop", name: "web" });
    const [unpin] = writesOf(planUnpinStable(pinned, t));
    expect(unpin).toBeDefined();
    await io.apply(unpin as TrafficWrite);
    const after = io.find("Service", "shop", "web") as JsonObject;
    const strip = (o: JsonObject) => ({
      ...o,
      metadata: { ...(o["metadata"] as JsonObject), resourceVersion: "" },
    });
    expect(JSON.stringify(strip(after))).toBe(JSON.stringify(strip(original)));
    const restored = await io.get({ kind: "Service", apiVersion: "v1", namespace: "shop", name: "web" });
    expect(writesOf(planUnpinStable(restored, t))).toEqual([]);
  });

  it("re-pins from the saved original, not from what a user changed meanwhile", () => {
    const stable = observed(
      service(
        { selector: { app: "web", "pod-template-hash": "somebody-else" } },
        { annotations: { [ANNOTATION_TRAFFIC_ORIGINAL]: '{"app":"web"}' } },
      ),
    );
    const [pin] = writesOf(planServices({ stable, canary: undefined }, nginxTarget())).filter(
      (w) => w.type === "patch",
    );
    expect(pin?.type === "patch" && pin.ops).toEqual([
      { op: "add", path: "/spec/selector", value: { app: "web", "pod-template-hash": "stable1" } },
    ]);
  });

  it("removes only the annotation it added when others remain", () => {
    const stable = observed(
      service(
        { selector: { app: "web", "pod-template-hash": "stable1" } },
        { annotations: { keep: "me", [ANNOTATION_TRAFFIC_ORIGINAL]: '{"app":"web"}' } },
      ),
    );
    const [unpin] = writesOf(planUnpinStable(stable, nginxTarget()));
    const result = applyPatch(stable.json, unpin?.type === "patch" ? unpin.ops : []);
    expect((result["metadata"] as JsonObject)["annotations"]).toEqual({ keep: "me" });
    expect((result["spec"] as JsonObject)["selector"]).toEqual({ app: "web" });
  });
});

describe("problems a person must fix", () => {
  const problem = (plan: Plan) => (plan.kind === "problem" ? plan.problem : "no problem");

  it("a missing stable Service", () => {
    expect(problem(planServices({ stable: undefined, canary: undefined }, nginxTarget()))).toMatch(
      /Service shop\/web \(trafficRouting.service\) not found: create it/,
    );
  });

  it("a Service without a selector", () => {
    const { selector: _selector, ...spec } = service()["spec"] as JsonObject;
    const stable = observed({ ...service(), spec });
    expect(problem(planServices({ stable, canary: undefined }, nginxTarget()))).toMatch(
      /has no spec.selector/,
    );
  });

  it("a canary Service name that already belongs to someone else", () => {
    const canary = observed({ ...service(), metadata: { name: "web-canary", namespace: "shop" } });
    expect(problem(planServices({ stable: observed(service()), canary }, nginxTarget()))).toMatch(
      /Service shop\/web-canary exists but is not controlled by Rollout shop\/web/,
    );
  });

  it("a Service name too long for its canary", () => {
    const long = "a".repeat(60);
    const t = nginxTarget({ service: long });
    expect(problem(planServices({ stable: observed(service()), canary: undefined }, t))).toMatch(/too long/);
  });

  it("a stable revision not known yet", () => {
    const t = nginxTarget({ stableRevision: "" });
    expect(problem(planServices({ stable: observed(service()), canary: undefined }, t))).toMatch(
      /waiting for the stable revision \(pod-template-hash\) to be known before pinning Service shop\/web/,
    );
  });
});

describe("a canary revision not known yet", () => {
  it("pins the stable Service but creates no canary Service", () => {
    const t = nginxTarget({ canaryRevision: "" });
    const writes = writesOf(planServices({ stable: observed(service()), canary: undefined }, t));
    expect(writes.map((w) => `${w.type} ${w.ref.name}`)).toEqual(["patch web"]);
  });
});

describe("deleting the canary Service", () => {
  it("deletes only the one this Rollout controls", () => {
    const ours = observed({
      ...service(),
      metadata: { name: "web-canary", namespace: "shop", ownerReferences: [{ ...OWNER, controller: true }] },
    });
    expect(writesOf(planDeleteCanaryService(ours, nginxTarget())).map((w) => w.type)).toEqual(["delete"]);
    const theirs = observed({ ...service(), metadata: { name: "web-canary", namespace: "shop" } });
    expect(writesOf(planDeleteCanaryService(theirs, nginxTarget()))).toEqual([]);
  });
});
