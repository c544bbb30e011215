// The demo's sample app: a 10-replica Deployment behind a Service and an nginx Ingress, a Prometheus
// success-rate gate, and a Rollout with traffic steps, the gate and one approval.
import { API_VERSION } from "../../src/api/names.ts";

export const NAMESPACE = "slipway-demo";
export const APP = "web";
export const REPLICAS = 10;

type Json = Record<string, unknown>;

export function image(version: string): string {
  return `demo.slipway.dev/web:${version}`;
}

export function appManifests(prometheusUrl: string): Json[] {
  const labels = { app: APP };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: APP, namespace: NAMESPACE },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "web", image: image("v1"), ports: [{ containerPort: 8080 }] }] },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: APP, namespace: NAMESPACE },
      spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: APP, namespace: NAMESPACE },
      spec: {
        ingressClassName: "nginx",
        rules: [
          {
            host: "web.demo.local",
            http: {
              paths: [
                { path: "/", pathType: "Prefix", backend: { service: { name: APP, port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    },
    {
      apiVersion: API_VERSION,
      kind: "AnalysisTemplate",
      metadata: { name: "success-rate", namespace: NAMESPACE },
      spec: {
        args: [{ name: "service" }, { name: "threshold", value: "0.95" }],
        metrics: [
          {
            name: "success-rate",
            provider: {
              prometheus: {
                address: prometheusUrl,
                query:
                  'sum(rate(http_requests_total{service="{{args.service}}",status!~"5..",pod_template_hash="{{canary.revision}}"}[20s]))' +
                  ' / sum(rate(http_requests_total{service="{{args.service}}",pod_template_hash="{{canary.revision}}"}[20s]))',
                timeout: "5s",
              },
            },
            initialDelay: "10s",
            interval: "5s",
            count: 3,
            successCondition: "result[0] >= double(args.threshold)",
            failureCondition: "result[0] < 0.9",
            failureLimit: 0,
          },
        ],
      },
    },
    {
      apiVersion: API_VERSION,
      kind: "Rollout",
      metadata: { name: APP, namespace: NAMESPACE },
      spec: {
        workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: APP },
        strategy: {
          canary: {
            progressDeadlineSeconds: 120,
            steps: [
              { replicas: 1, traffic: "10%" },
              {
                replicas: "30%",
                traffic: "30%",
                analysis: { templates: [{ name: "success-rate" }], args: [{ name: "service", value: APP }] },
              },
              { replicas: "60%", traffic: "60%", pause: {} },
              { replicas: "100%", traffic: "100%" },
            ],
            trafficRouting: { service: APP, gracePeriodSeconds: 2, nginx: { ingress: APP } },
          },
        },
      },
    },
  ];
}
