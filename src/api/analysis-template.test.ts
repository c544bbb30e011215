/* eslint-disable @typescript-eslint/no-explicit-any -- the tables mutate plain fixture objects */
import { describe, expect, it } from "vitest";
import { parseAnalysisTemplate, parseClusterAnalysisTemplate } from "./parse.ts";
import { validTemplate } from "./testdata/fixtures.ts";

type Spec = Record<string, any>;
const metric = (s: Spec): Spec => s["metrics"][0];
const prom = (s: Spec): Spec => metric(s)["provider"].prometheus;

function withSpec(mutate: (spec: Spec) => void): unknown {
  const t = validTemplate();
  mutate(t.spec);
  return t;
}

describe("parseAnalysisTemplate", () => {
  it("accepts the SPEC §2.2 example", () => {
    const result = parseAnalysisTemplate(validTemplate());
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("accepts a minimal metric with only a failureCondition and a secret header", () => {
    const result = parseAnalysisTemplate(
      withSpec((s) => {
        s["args"] = undefined;
        s["metrics"] = [
          {
            name: "errors",
            provider: {
              prometheus: {
                address: "https://prom.example.com",
                query: "sum(rate(errors[1m]))",
                headers: [
                  { name: "Authorization", valueFrom: { secretKeyRef: { name: "prom", key: "token" } } },
                ],
              },
            },
            failureCondition: "result.exists(x, x > 5.0)",
          },
        ];
      }),
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("parses a ClusterAnalysisTemplate with the same rules", () => {
    expect(parseClusterAnalysisTemplate(validTemplate("ClusterAnalysisTemplate")).ok).toBe(true);
    const bad = validTemplate("ClusterAnalysisTemplate");
    bad.spec["metrics"][0].interval = "0s";
    const result = parseClusterAnalysisTemplate(bad);
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(["spec.metrics[0].interval"]);
  });

  const reject: [name: string, mutate: (s: Spec) => void, path: string, message: string][] = [
    ["no metrics", (s) => (s["metrics"] = []), "spec.metrics", "needs at least 1 item"],
    ["metrics missing", (s) => delete s["metrics"], "spec.metrics", "is required: add metrics"],
    [
      "a metric without conditions",
      (s) => {
        delete metric(s)["successCondition"];
        delete metric(s)["failureCondition"];
      },
      "spec.metrics[0]",
      "needs a successCondition or a failureCondition",
    ],
    [
      "a condition that does not parse",
      (s) => (metric(s)["successCondition"] = "result[0] >="),
      "spec.metrics[0].successCondition",
      "does not compile",
    ],
    [
      "a condition comparing a double with a string",
      (s) => (metric(s)["failureCondition"] = "result[0] < 'low'"),
      "spec.metrics[0].failureCondition",
      "no such overload",
    ],
    [
      "a condition that is not a bool",
      (s) => (metric(s)["successCondition"] = "result[0]"),
      "spec.metrics[0].successCondition",
      "must be a bool expression",
    ],
    [
      "a condition with an unknown variable",
      (s) => (metric(s)["successCondition"] = "value > 1.0"),
      "spec.metrics[0].successCondition",
      "Unknown variable: value",
    ],
    [
      "a condition using an undeclared argument",
      (s) => (metric(s)["successCondition"] = "result[0] >= double(args.limit)"),
      "spec.metrics[0].successCondition",
      "uses args.limit",
    ],
    [
      "interval 0s",
      (s) => (metric(s)["interval"] = "0s"),
      "spec.metrics[0].interval",
      "interval must be a positive duration",
    ],
    [
      "interval in an unknown unit",
      (s) => (metric(s)["interval"] = "5d"),
      "spec.metrics[0].interval",
      "(units s, m, h)",
    ],
    [
      "negative initialDelay",
      (s) => (metric(s)["initialDelay"] = -1),
      "spec.metrics[0].initialDelay",
      "initialDelay must be a duration",
    ],
    ["count 0", (s) => (metric(s)["count"] = 0), "spec.metrics[0].count", "must be >= 1"],
    [
      "no provider",
      (s) => delete metric(s)["provider"],
      "spec.metrics[0].provider",
      "is required: add provider",
    ],
    [
      "address without a scheme",
      (s) => (prom(s)["address"] = "prometheus:9090"),
      "spec.metrics[0].provider.prometheus.address",
      "http:// or https:// URL",
    ],
    [
      "empty query",
      (s) => (prom(s)["query"] = ""),
      "spec.metrics[0].provider.prometheus.query",
      "must not be empty",
    ],
    [
      "timeout 0s",
      (s) => (prom(s)["timeout"] = "0s"),
      "spec.metrics[0].provider.prometheus.timeout",
      "timeout must be a positive duration",
    ],
    [
      "a header with value and valueFrom",
      (s) =>
        (prom(s)["headers"] = [
          { name: "A", value: "x", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
        ]),
      "spec.metrics[0].provider.prometheus.headers[0]",
      "exactly one of value or valueFrom",
    ],
    [
      "a header with neither",
      (s) => (prom(s)["headers"] = [{ name: "A" }]),
      "spec.metrics[0].provider.prometheus.headers[0]",
      "exactly one of value or valueFrom",
    ],
    [
      "unknown noData policy",
      (s) => (metric(s)["noData"] = "Skip"),
      "spec.metrics[0].noData",
      '"Inconclusive", "Fail", "Pass"',
    ],
    [
      "unknown onError policy",
      (s) => (metric(s)["onError"] = "Pass"),
      "spec.metrics[0].onError",
      '"Inconclusive", "Fail"',
    ],
    [
      "duplicate metric names",
      (s) => s["metrics"].push(structuredClone(metric(s))),
      "spec.metrics[1]",
      'duplicate name "success-rate"',
    ],
    [
      "duplicate argument names",
      (s) => s["args"].push({ name: "service" }),
      "spec.args[2]",
      'duplicate name "service"',
    ],
    [
      "negative failureLimit",
      (s) => (metric(s)["failureLimit"] = -1),
      "spec.metrics[0].failureLimit",
      "must be >= 0",
    ],
    [
      "misspelt metric field",
      (s) => (metric(s)["sucessCondition"] = "true"),
      "spec.metrics[0].sucessCondition",
      'did you mean "successCondition"?',
    ],
  ];

  it.each(reject)("refuses %s", (_name, mutate, path, message) => {
    const result = parseAnalysisTemplate(withSpec(mutate));
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
    expect(problems[0]?.message).toContain(message);
  });
});
