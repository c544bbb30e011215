/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are mutated freely by the tables */
// Valid objects used as the base of the accept/reject tables. Each test mutates a fresh copy.
import { API_VERSION } from "../names.ts";

export function validRollout(): Record<string, unknown> & { spec: Record<string, any> } {
  return {
    apiVersion: API_VERSION,
    kind: "Rollout",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      strategy: {
        canary: {
          steps: [
            { replicas: 1, traffic: "5%", matches: [{ headers: [{ name: "x-canary", value: "true" }] }] },
            {
              replicas: "50%",
              traffic: "50%",
              analysis: { templates: [{ name: "success-rate" }], args: [{ name: "service", value: "web" }] },
              pause: { duration: "10m" },
            },
            { replicas: "100%", pause: {} },
          ],
          trafficRouting: { service: "web", gracePeriodSeconds: 3, nginx: { ingress: "web" } },
          analysis: { templates: [{ name: "error-budget" }], startingStep: 1 },
        },
      },
    },
  };
}

export function validTemplate(
  kind = "AnalysisTemplate",
): Record<string, unknown> & { spec: Record<string, any> } {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name: "success-rate" },
    spec: {
      args: [{ name: "service" }, { name: "threshold", value: "0.99" }],
      metrics: [
        {
          name: "success-rate",
          provider: {
            prometheus: {
              address: "http://prometheus.monitoring:9090",
              query: 'sum(rate(http_requests_total{service="{{args.service}}"}[1m]))',
              timeout: "10s",
            },
          },
          initialDelay: "30s",
          interval: "30s",
          count: 4,
          successCondition: "result[0] >= double(args.threshold)",
          failureCondition: "result[0] < 0.9",
          failureLimit: 0,
          inconclusiveLimit: 0,
          consecutiveErrorLimit: 4,
          noData: "Inconclusive",
          onError: "Inconclusive",
        },
      ],
    },
  };
}
