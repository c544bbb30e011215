import { describe, expect, it } from "vitest";
import { metricWithDefaults, withDefaults } from "./defaults.ts";
import { parseAnalysisTemplate, parseRollout } from "./parse.ts";
import { validRollout, validTemplate } from "./testdata/fixtures.ts";

describe("withDefaults", () => {
  it("fills every default of a minimal Deployment rollout", () => {
    const r = validRollout();
    r.spec["strategy"] = { canary: { steps: [{ replicas: 1 }] } };
    const parsed = parseRollout(r);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(withDefaults(parsed.value.spec)).toEqual({
      workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      paused: false,
      disabled: false,
      ignoreTemplateKeys: [],
      deploymentStyle: "partition",
      failureThreshold: { kind: "int", value: 0 },
      progressDeadlineSeconds: 600,
      onFailure: "abort",
      steps: [
        {
          replicas: { kind: "int", value: 1 },
          traffic: null,
          matches: [],
          analysis: null,
          pause: { kind: "none" },
        },
      ],
      trafficRouting: null,
      backgroundAnalysis: null,
    });
  });

  it("leaves deploymentStyle out for a StatefulSet and fills routing defaults", () => {
    const r = validRollout();
    r.spec["workloadRef"] = { apiVersion: "apps/v1", kind: "StatefulSet", name: "db" };
    delete r.spec["strategy"].canary.trafficRouting.gracePeriodSeconds;
    const parsed = parseRollout(r);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const spec = withDefaults(parsed.value.spec);
    expect(spec.deploymentStyle).toBeNull();
    expect(spec.trafficRouting).toEqual({
      service: "web",
      gracePeriodSeconds: 3,
      router: { kind: "nginx", nginx: { ingress: "web" } },
    });
    expect(spec.steps[0]?.matches).toEqual([
      { headers: [{ name: "x-canary", value: "true", type: "Exact" }] },
    ]);
    expect(spec.backgroundAnalysis).toEqual({
      templates: [{ name: "error-budget" }],
      args: [],
      startingStep: 1,
    });
  });
});

describe("metricWithDefaults", () => {
  it("parses durations and fills the SPEC defaults", () => {
    const t = validTemplate();
    t.spec["metrics"] = [
      {
        name: "m",
        provider: { prometheus: { address: "http://p:9090", query: "up" } },
        successCondition: "true",
      },
    ];
    const parsed = parseAnalysisTemplate(t);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const metric = parsed.value.spec.metrics[0];
    if (!metric) throw new Error("no metric");
    expect(metricWithDefaults(metric)).toEqual({
      name: "m",
      prometheus: { address: "http://p:9090", query: "up", timeoutSeconds: 10 },
      initialDelaySeconds: 0,
      intervalSeconds: 30,
      count: 1,
      successCondition: "true",
      failureCondition: null,
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      noData: "Inconclusive",
      onError: "Inconclusive",
    });
  });
});
