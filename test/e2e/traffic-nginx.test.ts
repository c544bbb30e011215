// nginx traffic routing against a real API server (no ingress controller runs: as in the anchors' own e2e
// suites, the assertions are on the objects). The providers are driven directly, step by step.
import { beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_TRAFFIC_ORIGINAL } from "../../src/api/names.ts";
import { KubeTrafficIO } from "../../src/traffic/kube/io.ts";
import { trafficSession } from "../../src/traffic/session.ts";
import type { DesiredTraffic, JsonObject, TrafficTarget } from "../../src/traffic/types.ts";
import { clients, withNamespace } from "./lib/index.ts";
import {
  annotationsOf,
  applyJson,
  getJson,
  installRolloutCrd,
  kubeClient,
  metaOf,
  rolloutTarget,
  settle,
  specOf,
  userView,
} from "./lib/traffic.ts";

const N = "nginx.ingress.kubernetes.io";
const svc = (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`;
const ing = (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`;

function manifests(namespace: string): JsonObject[] {
  const pod = (name: string, hash: string): JsonObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: "web", "pod-template-hash": hash } },
    spec: { containers: [{ name: "app", image: "registry.example/web:v1" }] },
  });
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "web",
        namespace,
        labels: { app: "web" },
        annotations: { "team.example/owner": "shop" },
      },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "web",
        namespace,
        annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "8m" },
      },
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["shop.example"], secretName: "shop-tls" }],
        rules: [
          {
            host: "shop.example",
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { number: 80 } } },
                },
                {
                  path: "/admin",
                  pathType: "Prefix",
                  backend: { service: { name: "admin", port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
    pod("web-stable-a", "stable1"),
    pod("web-stable-b", "stable1"),
    pod("web-canary-a", "canary1"),
  ];
}

/** Names of the pods a Service's selector selects right now. */
async function selectedPods(namespace: string, service: string): Promise<string[]> {
  const selector = specOf(await getJson(svc(namespace, service)))["selector"] as Record<string, string>;
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const pods = await clients().core.listNamespacedPod({ namespace, labelSelector });
  return pods.items.map((p) => p.metadata?.name ?? "").sort();
}

async function setup(namespace: string, withIngress = true): Promise<TrafficTarget> {
  const objects = manifests(namespace).filter((o) => withIngress || o["kind"] !== "Ingress");
  await applyJson(objects, namespace);
  return rolloutTarget(
    namespace,
    { service: "web", nginx: { ingress: "web" } },
    { stable: "stable1", canary: "canary1" },
  );
}

beforeAll(async () => {
  await installRolloutCrd();
});

describe("nginx traffic routing on a real API server", () => {
  it("at each weight 0/5/50/100 the canary Ingress and the Service selectors are right; finish leaves no canary object and the stable objects as they were", async () => {
    await withNamespace(
      async (ns) => {
        const target = await setup(ns);
        const ingressBefore = await getJson(ing(ns, "web"));
        const serviceBefore = await getJson(svc(ns, "web"));
        const session = trafficSession(new KubeTrafficIO(kubeClient()), target);

        for (const weight of [0, 5, 50, 100]) {
          expect(await settle(() => session.ensure({ weight, matches: [] }))).toEqual({ kind: "done" });
          const canary = await getJson(ing(ns, "web-canary"));
          expect(annotationsOf(canary)).toEqual({
            [`${N}/canary`]: "true",
            [`${N}/canary-weight`]: String(weight),
            [`${N}/canary-weight-total`]: "100",
          });
          expect(specOf(canary)).toEqual({
            ingressClassName: "nginx",
            tls: [{ hosts: ["shop.example"], secretName: "shop-tls" }],
            rules: [
              {
                host: "shop.example",
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: "web-canary", port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          });
          expect(metaOf(canary)["ownerReferences"]).toEqual([
            {
              apiVersion: "rollouts.slipway.dev/v1alpha1",
              kind: "Rollout",
              name: "web",
              uid: target.owner.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ]);
          expect(specOf(await getJson(svc(ns, "web")))["selector"]).toEqual({
            app: "web",
            "pod-template-hash": "stable1",
          });
          expect(specOf(await getJson(svc(ns, "web-canary")))["selector"]).toEqual({
            app: "web",
            "pod-template-hash": "canary1",
          });
          // The stable Service never selects a canary pod; the canary Service only canary pods.
          expect(await selectedPods(ns, "web")).toEqual(["web-stable-a", "web-stable-b"]);
          expect(await selectedPods(ns, "web-canary")).toEqual(["web-canary-a"]);
          expect(JSON.stringify(await getJson(ing(ns, "web")))).toBe(JSON.stringify(ingressBefore));
        }
        const canaryService = await getJson(svc(ns, "web-canary"));
        expect(specOf(canaryService)["clusterIP"]).not.toBe(specOf(serviceBefore)["clusterIP"]);
        expect(annotationsOf(await getJson(svc(ns, "web")))[ANNOTATION_TRAFFIC_ORIGINAL]).toBe(
          '{"app":"web"}',
        );

        expect(await settle(() => session.removeRouting())).toEqual({ kind: "done" });
        expect(await getJson(ing(ns, "web-canary"))).toBeUndefined();
        expect(await getJson(svc(ns, "web-canary"))).toBeUndefined();
        // Byte for byte: the stable Ingress was never written (same resourceVersion), the Service is back.
        expect(JSON.stringify(await getJson(ing(ns, "web")))).toBe(JSON.stringify(ingressBefore));
        expect(userView(await getJson(svc(ns, "web")))).toBe(userView(serviceBefore));
        expect(await selectedPods(ns, "web")).toEqual(["web-canary-a", "web-stable-a", "web-stable-b"]);
      },
      { prefix: "traffic-nginx" },
    );
  });

  it("a header match produces nginx's header annotations, and they go when the match goes", async () => {
    await withNamespace(
      async (ns) => {
        const session = trafficSession(new KubeTrafficIO(kubeClient()), await setup(ns));
        const header: DesiredTraffic = {
          weight: 5,
          matches: [{ headers: [{ name: "x-canary", value: "true", type: "Exact" }] }],
        };
        await settle(() => session.ensure(header));
        expect(annotationsOf(await getJson(ing(ns, "web-canary")))).toMatchObject({
          [`${N}/canary-by-header`]: "x-canary",
          [`${N}/canary-by-header-value`]: "true",
          [`${N}/canary-weight`]: "5",
        });
        await settle(() =>
          session.ensure({
            weight: 5,
            matches: [{ headers: [{ name: "x-canary", value: "^(true|yes)$", type: "RegularExpression" }] }],
          }),
        );
        const regex = annotationsOf(await getJson(ing(ns, "web-canary")));
        expect(regex[`${N}/canary-by-header-pattern`]).toBe("^(true|yes)$");
        expect(regex[`${N}/canary-by-header-value`]).toBeUndefined();
        await settle(() =>
          session.ensure({
            weight: 0,
            matches: [{ headers: [{ name: "canary-by-cookie", value: "beta", type: "Exact" }] }],
          }),
        );
        expect(annotationsOf(await getJson(ing(ns, "web-canary")))[`${N}/canary-by-cookie`]).toBe("beta");
        // Abort: weight 0 and no matches, first; the pin stays while canary pods may exist.
        await settle(() => session.routeToStable());
        expect(annotationsOf(await getJson(ing(ns, "web-canary")))).toEqual({
          [`${N}/canary`]: "true",
          [`${N}/canary-weight`]: "0",
          [`${N}/canary-weight-total`]: "100",
        });
        expect(await selectedPods(ns, "web")).toEqual(["web-stable-a", "web-stable-b"]);
      },
      { prefix: "traffic-nginx-match" },
    );
  });

  it("a missing Ingress is a clear error and nothing is changed", async () => {
    await withNamespace(
      async (ns) => {
        const target = await setup(ns, false);
        const before = await getJson(svc(ns, "web"));
        const progress = await trafficSession(new KubeTrafficIO(kubeClient()), target).ensure({
          weight: 5,
          matches: [],
        });
        expect(progress).toEqual({
          kind: "blocked",
          problem: `Ingress ${ns}/web (trafficRouting.nginx.ingress) not found: create it or fix spec.strategy.canary.trafficRouting.nginx.ingress`,
        });
        expect(JSON.stringify(await getJson(svc(ns, "web")))).toBe(JSON.stringify(before));
        expect(await getJson(svc(ns, "web-canary"))).toBeUndefined();
      },
      { prefix: "traffic-nginx-missing" },
    );
  });

  it("an Ingress that does not route to the stable Service is a clear error", async () => {
    await withNamespace(
      async (ns) => {
        const target = await setup(ns);
        await applyJson(
          [
            {
              apiVersion: "networking.k8s.io/v1",
              kind: "Ingress",
              metadata: { name: "web", namespace: ns },
              spec: {
                rules: [
                  {
                    http: {
                      paths: [
                        {
                          path: "/",
                          pathType: "Prefix",
                          backend: { service: { name: "admin", port: { number: 80 } } },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          ],
          ns,
        );
        const progress = await trafficSession(new KubeTrafficIO(kubeClient()), target).ensure({
          weight: 5,
          matches: [],
        });
        expect(progress.kind === "blocked" && progress.problem).toBe(
          `Ingress ${ns}/web has no rule whose backend is Service web (trafficRouting.service): point a path's backend.service.name at web, or fix trafficRouting.nginx.ingress / trafficRouting.service`,
        );
        expect(await getJson(ing(ns, "web-canary"))).toBeUndefined();
      },
      { prefix: "traffic-nginx-elsewhere" },
    );
  });
});
