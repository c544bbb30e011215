// Builders for the objects and targets the traffic unit tests use.
import type { EffectiveTrafficRouting } from "../../api/defaults.ts";
import type { JsonObject, TrafficTarget } from "../types.ts";

export const NS = "shop";
export const OWNER = {
  apiVersion: "rollouts.slipway.dev/v1alpha1",
  kind: "Rollout",
  name: "web",
  uid: "rollout-uid-1",
};

export function target(
  router: EffectiveTrafficRouting["router"],
  overrides: Partial<Omit<TrafficTarget, "routing">> & {
    readonly service?: string;
    readonly grace?: number;
  } = {},
): TrafficTarget {
  return {
    namespace: NS,
    routing: { service: overrides.service ?? "web", gracePeriodSeconds: overrides.grace ?? 3, router },
    owner: OWNER,
    revisionLabel: overrides.revisionLabel ?? "pod-template-hash",
    stableRevision: overrides.stableRevision ?? "stable1",
    canaryRevision: overrides.canaryRevision ?? "canary1",
  };
}

export const nginxTarget = (overrides: Parameters<typeof target>[1] = {}): TrafficTarget =>
  target({ kind: "nginx", nginx: { ingress: "web" } }, overrides);

export function istioTarget(
  options: { readonly routes?: readonly string[]; readonly subsets?: boolean } = {},
  overrides: Parameters<typeof target>[1] = {},
): TrafficTarget {
  return target(
    {
      kind: "istio",
      istio: {
        virtualService: { name: "web", ...(options.routes === undefined ? {} : { routes: options.routes }) },
        ...(options.subsets === true
          ? { destinationRule: { name: "web", stableSubset: "stable", canarySubset: "canary" } }
          : {}),
      },
    },
    overrides,
  );
}

export function service(spec: JsonObject = {}, metadata: JsonObject = {}): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: NS, labels: { app: "web" }, ...metadata },
    spec: {
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      type: "ClusterIP",
      selector: { app: "web" },
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
      sessionAffinity: "None",
      ...spec,
    },
  };
}

export const backend = (name: string, port = 80): JsonObject => ({
  service: { name, port: { number: port } },
});

export function ingress(spec: JsonObject, annotations?: Record<string, string>): JsonObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "web", namespace: NS, ...(annotations === undefined ? {} : { annotations }) },
    spec,
  };
}

/** A typical Ingress: one host routing / to web and /admin to another Service, with class and TLS. */
export function typicalIngress(): JsonObject {
  return ingress(
    {
      ingressClassName: "nginx",
      tls: [{ hosts: ["shop.example"], secretName: "shop-tls" }],
      rules: [
        {
          host: "shop.example",
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: backend("web") },
              { path: "/admin", pathType: "Prefix", backend: backend("admin") },
            ],
          },
        },
        {
          host: "admin.example",
          http: { paths: [{ path: "/", pathType: "Prefix", backend: backend("admin") }] },
        },
      ],
    },
    { "kubernetes.io/ingress.class": "nginx", "example.com/team": "shop" },
  );
}

export function virtualService(
  spec: JsonObject,
  version = "v1",
  annotations?: Record<string, string>,
): JsonObject {
  return {
    apiVersion: `networking.istio.io/${version}`,
    kind: "VirtualService",
    metadata: { name: "web", namespace: NS, ...(annotations === undefined ? {} : { annotations }) },
    spec,
  };
}

export function destinationRule(spec: JsonObject, version = "v1"): JsonObject {
  return {
    apiVersion: `networking.istio.io/${version}`,
    kind: "DestinationRule",
    metadata: { name: "web", namespace: NS },
    spec,
  };
}

/** Two named routes: `primary` (/) to web, `api` (/api) to web with a retry policy. */
export function twoRouteSpec(): JsonObject {
  return {
    hosts: ["web.example"],
    gateways: ["shop-gateway"],
    http: [
      {
        name: "api",
        match: [{ uri: { prefix: "/api" } }],
        retries: { attempts: 3 },
        route: [{ destination: { host: "web", port: { number: 80 } } }],
      },
      { name: "primary", route: [{ destination: { host: "web.shop.svc.cluster.local" }, weight: 100 }] },
    ],
  };
}
