/* eslint-disable @typescript-eslint/no-explicit-any -- the tables mutate plain fixture objects */
import { describe, expect, it } from "vitest";
import { parseRollout } from "./parse.ts";
import { validRollout } from "./testdata/fixtures.ts";

type Spec = Record<string, any>;
const canary = (s: Spec): Spec => s["strategy"].canary;

function withSpec(mutate: (spec: Spec) => void): unknown {
  const r = validRollout();
  mutate(r.spec);
  return r;
}

describe("parseRollout accepts", () => {
  const cases: [string, (s: Spec) => void][] = [
    ["the SPEC §2.1 example", () => {}],
    [
      "a StatefulSet without trafficRouting",
      (s) => {
        s["workloadRef"] = { apiVersion: "apps/v1", kind: "StatefulSet", name: "db" };
        canary(s).trafficRouting = undefined;
        canary(s).steps = [
          { replicas: 1 },
          { replicas: "50%", pause: { duration: 30 } },
          { replicas: "100%" },
        ];
      },
    ],
    [
      "a CloneSet of apps.kruise.io",
      (s) => {
        s["workloadRef"] = { apiVersion: "apps.kruise.io/v1alpha1", kind: "CloneSet", name: "web" };
        canary(s).trafficRouting = undefined;
        canary(s).steps = [{ replicas: "20%" }];
      },
    ],
    [
      "istio with subsets and two header matches",
      (s) => {
        canary(s).trafficRouting = {
          service: "web",
          istio: {
            virtualService: { name: "web", routes: ["primary"] },
            destinationRule: { name: "web", stableSubset: "stable", canarySubset: "canary" },
          },
        };
        canary(s).steps[0].matches = [
          {
            headers: [
              { name: "x-canary", value: "true" },
              { name: "x-user", value: "^a.*", type: "RegularExpression" },
            ],
          },
          { headers: [{ name: "x-beta", value: "1" }] },
        ];
      },
    ],
    [
      "mixed units that only plan can judge",
      (s) => {
        canary(s).steps = [
          { replicas: "50%", traffic: "10%" },
          { replicas: 2, traffic: "10%" },
          { replicas: "100%" },
        ];
      },
    ],
    [
      "every optional field set",
      (s) => {
        Object.assign(s, {
          paused: true,
          disabled: false,
          ignoreTemplateKeys: ["kubectl.kubernetes.io/restartedAt"],
        });
        Object.assign(canary(s), {
          deploymentStyle: "canary-deployment",
          failureThreshold: "10%",
          progressDeadlineSeconds: 300,
          onFailure: "pause",
        });
      },
    ],
    [
      "a last step below 100%",
      (s) => {
        canary(s).steps = [
          { replicas: 1 },
          { replicas: 1, traffic: "20%" },
          { replicas: "30%", pause: { duration: "1h30m" } },
        ];
      },
    ],
  ];
  it.each(cases)("%s", (_name, mutate) => {
    const result = parseRollout(withSpec(mutate));
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

// Each invalid document has exactly one problem; the table pins its exact path and the key words.
const reject: [name: string, mutate: (s: Spec) => void, path: string, message: string][] = [
  ["missing workloadRef", (s) => delete s["workloadRef"], "spec.workloadRef", "is required: add workloadRef"],
  [
    "unknown workload kind",
    (s) => (s["workloadRef"].kind = "ReplicaSet"),
    "spec.workloadRef.kind",
    'must be one of "Deployment", "StatefulSet", "CloneSet"',
  ],
  [
    "Deployment with a wrong apiVersion",
    (s) => (s["workloadRef"].apiVersion = "apps/v1beta1"),
    "spec.workloadRef.apiVersion",
    "use apps/v1 for Deployment",
  ],
  [
    "CloneSet with apps/v1",
    (s) => (s["workloadRef"] = { apiVersion: "apps/v1", kind: "CloneSet", name: "web" }),
    "spec.workloadRef.apiVersion",
    "apps.kruise.io/v1alpha1 for CloneSet",
  ],
  [
    "workload name not a DNS name",
    (s) => (s["workloadRef"].name = "Web_1"),
    "spec.workloadRef.name",
    "lowercase DNS name",
  ],
  [
    "deploymentStyle on a StatefulSet",
    (s) => {
      s["workloadRef"].kind = "StatefulSet";
      canary(s).deploymentStyle = "partition";
    },
    "spec.strategy.canary.deploymentStyle",
    "applies to Deployments only",
  ],
  [
    "unknown deploymentStyle",
    (s) => (canary(s).deploymentStyle = "blue-green"),
    "spec.strategy.canary.deploymentStyle",
    '"partition", "canary-deployment"',
  ],
  ["no steps", (s) => (canary(s).steps = []), "spec.strategy.canary.steps", "needs at least 1 item"],
  ["steps missing", (s) => delete canary(s).steps, "spec.strategy.canary.steps", "is required: add steps"],
  [
    "51 steps",
    (s) => (canary(s).steps = Array.from({ length: 51 }, () => ({ replicas: 1 }))),
    "spec.strategy.canary.steps",
    "at most 50 items",
  ],
  [
    "step without replicas",
    (s) => delete canary(s).steps[0].replicas,
    "spec.strategy.canary.steps[0].replicas",
    "is required: add replicas",
  ],
  [
    "replicas 0",
    (s) => (canary(s).steps[0].replicas = 0),
    "spec.strategy.canary.steps[0].replicas",
    "integer >= 1",
  ],
  [
    "replicas -1",
    (s) => (canary(s).steps[0].replicas = -1),
    "spec.strategy.canary.steps[0].replicas",
    "integer >= 1",
  ],
  [
    "replicas 0%",
    (s) => (canary(s).steps[1].replicas = "0%"),
    "spec.strategy.canary.steps[1].replicas",
    "(0%, 100%]",
  ],
  [
    "replicas 150%",
    (s) => (canary(s).steps[2].replicas = "150%"),
    "spec.strategy.canary.steps[2].replicas",
    "(0%, 100%]",
  ],
  [
    "replicas not a number",
    (s) => (canary(s).steps[1].replicas = "half"),
    "spec.strategy.canary.steps[1].replicas",
    'such as "30%"',
  ],
  [
    "replicas a fraction",
    (s) => (canary(s).steps[0].replicas = 1.5),
    "spec.strategy.canary.steps[0].replicas",
    "must be an integer or a string",
  ],
  [
    "integer replicas decreasing",
    (s) => (canary(s).steps = [{ replicas: 3 }, { replicas: "50%" }, { replicas: 2 }]),
    "spec.strategy.canary.steps[2].replicas",
    "integer replicas must not decrease",
  ],
  [
    "percent replicas decreasing",
    (s) => (canary(s).steps[2].replicas = "40%"),
    "spec.strategy.canary.steps[2].replicas",
    "percentage replicas must not decrease",
  ],
  [
    "traffic decreasing",
    (s) => (canary(s).steps[0].traffic = "60%"),
    "spec.strategy.canary.steps[1].traffic",
    "traffic must not decrease",
  ],
  [
    "traffic 0%",
    (s) => (canary(s).steps[0].traffic = "0%"),
    "spec.strategy.canary.steps[0].traffic",
    "traffic must be a whole percentage in (0%, 100%]",
  ],
  [
    "traffic 101%",
    (s) => (canary(s).steps[1].traffic = "101%"),
    "spec.strategy.canary.steps[1].traffic",
    "traffic must be a whole percentage",
  ],
  [
    "traffic as a number",
    (s) => (canary(s).steps[0].traffic = 5),
    "spec.strategy.canary.steps[0].traffic",
    "must be a string",
  ],
  [
    "traffic without trafficRouting",
    (s) => {
      delete canary(s).trafficRouting;
      delete canary(s).steps[0].matches;
    },
    "spec.strategy.canary.steps[0].traffic",
    "traffic and matches need trafficRouting",
  ],
  [
    "matches without trafficRouting",
    (s) => {
      delete canary(s).trafficRouting;
      delete canary(s).steps[0].traffic;
      delete canary(s).steps[1].traffic;
    },
    "spec.strategy.canary.steps[0].matches",
    "add spec.strategy.canary.trafficRouting",
  ],
  [
    "two routers",
    (s) => (canary(s).trafficRouting.istio = { virtualService: { name: "web" } }),
    "spec.strategy.canary.trafficRouting",
    "exactly one traffic router",
  ],
  [
    "no router",
    (s) => delete canary(s).trafficRouting.nginx,
    "spec.strategy.canary.trafficRouting",
    "exactly one traffic router: nginx or istio",
  ],
  [
    "nginx with two headers in a match",
    (s) => canary(s).steps[0].matches[0].headers.push({ name: "x-b", value: "1" }),
    "spec.strategy.canary.steps[0].matches",
    "nginx routes a canary by one header only",
  ],
  [
    "unknown header match type",
    (s) => (canary(s).steps[0].matches[0].headers[0].type = "Prefix"),
    "spec.strategy.canary.steps[0].matches[0].headers[0].type",
    '"Exact", "RegularExpression"',
  ],
  [
    "match without headers",
    (s) => (canary(s).steps[0].matches = [{ headers: [] }]),
    "spec.strategy.canary.steps[0].matches[0].headers",
    "needs at least 1 item",
  ],
  [
    "pause duration in words",
    (s) => (canary(s).steps[1].pause.duration = "10 minutes"),
    "spec.strategy.canary.steps[1].pause.duration",
    'like "30s", "10m", "1h"',
  ],
  [
    "negative pause duration",
    (s) => (canary(s).steps[1].pause.duration = -5),
    "spec.strategy.canary.steps[1].pause.duration",
    "pause.duration must be a duration",
  ],
  [
    "misspelt pause field",
    (s) => (canary(s).steps[2].pause = { durtion: "1m" }),
    "spec.strategy.canary.steps[2].pause.durtion",
    'did you mean "duration"?',
  ],
  [
    "step analysis without templates",
    (s) => (canary(s).steps[1].analysis.templates = []),
    "spec.strategy.canary.steps[1].analysis.templates",
    "needs at least 1 item",
  ],
  [
    "duplicate step templates",
    (s) => canary(s).steps[1].analysis.templates.push({ name: "success-rate" }),
    "spec.strategy.canary.steps[1].analysis.templates[1]",
    'duplicate name "success-rate"',
  ],
  [
    "duplicate step args",
    (s) => canary(s).steps[1].analysis.args.push({ name: "service", value: "api" }),
    "spec.strategy.canary.steps[1].analysis.args[1]",
    'duplicate name "service"',
  ],
  [
    "arg without value",
    (s) => delete canary(s).steps[1].analysis.args[0].value,
    "spec.strategy.canary.steps[1].analysis.args[0].value",
    "is required: add value",
  ],
  [
    "startingStep past the last step",
    (s) => (canary(s).analysis.startingStep = 4),
    "spec.strategy.canary.analysis.startingStep",
    "between 1 and the number of steps",
  ],
  [
    "startingStep 0",
    (s) => (canary(s).analysis.startingStep = 0),
    "spec.strategy.canary.analysis.startingStep",
    "must be >= 1",
  ],
  [
    "failureThreshold 120%",
    (s) => (canary(s).failureThreshold = "120%"),
    "spec.strategy.canary.failureThreshold",
    "failureThreshold must be an integer >= 0 or a whole percentage in [0%, 100%]",
  ],
  [
    "negative failureThreshold",
    (s) => (canary(s).failureThreshold = -1),
    "spec.strategy.canary.failureThreshold",
    "integer >= 0",
  ],
  [
    "progressDeadlineSeconds 0",
    (s) => (canary(s).progressDeadlineSeconds = 0),
    "spec.strategy.canary.progressDeadlineSeconds",
    "must be >= 1",
  ],
  [
    "unknown onFailure",
    (s) => (canary(s).onFailure = "rollback"),
    "spec.strategy.canary.onFailure",
    '"abort", "pause"',
  ],
  [
    "trafficRouting without service",
    (s) => delete canary(s).trafficRouting.service,
    "spec.strategy.canary.trafficRouting.service",
    "is required: add service (the stable Service)",
  ],
  [
    "service name with dots",
    (s) => (canary(s).trafficRouting.service = "web.shop"),
    "spec.strategy.canary.trafficRouting.service",
    "lowercase DNS label",
  ],
  [
    "grace period over an hour",
    (s) => (canary(s).trafficRouting.gracePeriodSeconds = 4000),
    "spec.strategy.canary.trafficRouting.gracePeriodSeconds",
    "must be <= 3600",
  ],
  [
    "istio without virtualService",
    (s) => (canary(s).trafficRouting = { service: "web", istio: {} }),
    "spec.strategy.canary.trafficRouting.istio.virtualService",
    "is required",
  ],
  [
    "istio with an empty route list",
    (s) =>
      (canary(s).trafficRouting = { service: "web", istio: { virtualService: { name: "web", routes: [] } } }),
    "spec.strategy.canary.trafficRouting.istio.virtualService.routes",
    "needs at least 1 item",
  ],
  ["misspelt spec field", (s) => (s["strategyy"] = {}), "spec.strategyy", 'did you mean "strategy"?'],
  [
    "empty ignoreTemplateKeys entry",
    (s) => (s["ignoreTemplateKeys"] = [""]),
    "spec.ignoreTemplateKeys[0]",
    "must not be empty",
  ],
  ["paused as a string", (s) => (s["paused"] = "yes"), "spec.paused", "must be true or false"],
];

describe("parseRollout refuses", () => {
  it("has at least 30 invalid documents", () => {
    expect(reject.length).toBeGreaterThanOrEqual(30);
  });
  it.each(reject)("%s", (_name, mutate, path, message) => {
    const result = parseRollout(withSpec(mutate));
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
    expect(problems[0]?.message).toContain(message);
  });

  it("a wrong apiVersion", () => {
    const result = parseRollout({ ...validRollout(), apiVersion: "rollouts.slipway.dev/v1" });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "apiVersion", message: "apiVersion must be rollouts.slipway.dev/v1alpha1" },
    ]);
  });

  it("a name longer than 63 characters (it becomes a label value)", () => {
    const result = parseRollout({ ...validRollout(), metadata: { name: "a".repeat(64) } });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "metadata.name", message: expect.stringContaining("at most 63 characters") },
    ]);
  });

  it("reports every problem of a document, not only the first", () => {
    const result = parseRollout(
      withSpec((s) => {
        s["workloadRef"].kind = "Job";
        canary(s).steps[0].replicas = "0%";
        canary(s).steps[1].pause.duration = "soon";
      }),
    );
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([
      "spec.workloadRef.kind",
      "spec.strategy.canary.steps[0].replicas",
      "spec.strategy.canary.steps[1].pause.duration",
    ]);
  });
});
