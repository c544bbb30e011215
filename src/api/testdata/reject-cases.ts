/* eslint-disable @typescript-eslint/no-explicit-any -- the tables mutate plain fixture objects */
// Invalid documents shared by the unit tables (src/api/*.test.ts) and the e2e test that sends the same
// documents to a real API server (test/e2e/api-crds.test.ts): lint and admission must agree.
import { validRollout, validTemplate } from "./fixtures.ts";

export type Spec = Record<string, any>;

export interface RejectOptions {
  /** Where the API server reports it when that differs (a list rule cannot point at one item). */
  readonly serverPath?: string;
  /** Checked by Slipway's webhook, not by the CRD (e.g. CEL type-check of analysis conditions). */
  readonly webhookOnly?: true;
}

export type RejectCase = readonly [
  name: string,
  mutate: (spec: Spec) => void,
  path: string,
  message: string,
  options?: RejectOptions,
];

const canary = (s: Spec): Spec => s["strategy"].canary;
const metric = (s: Spec): Spec => s["metrics"][0];
const prom = (s: Spec): Spec => metric(s)["provider"].prometheus;

/** A fresh valid Rollout with `mutate` applied to its spec. */
export function rolloutWith(mutate: (spec: Spec) => void): Record<string, unknown> & { spec: Spec } {
  const r = validRollout();
  mutate(r.spec);
  return r;
}

/** A fresh valid template with `mutate` applied to its spec. */
export function templateWith(
  mutate: (spec: Spec) => void,
  kind = "AnalysisTemplate",
): Record<string, unknown> & { spec: Spec } {
  const t = validTemplate(kind);
  mutate(t.spec);
  return t;
}

// Each invalid document has exactly one problem; the table pins its exact path and the key words.
export const ROLLOUT_REJECTS: RejectCase[] = [
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
    { serverPath: "spec.strategy.canary.steps" },
  ],
  [
    "percent replicas decreasing",
    (s) => (canary(s).steps[2].replicas = "40%"),
    "spec.strategy.canary.steps[2].replicas",
    "percentage replicas must not decrease",
    { serverPath: "spec.strategy.canary.steps" },
  ],
  [
    "traffic decreasing",
    (s) => (canary(s).steps[0].traffic = "60%"),
    "spec.strategy.canary.steps[1].traffic",
    "traffic must not decrease",
    { serverPath: "spec.strategy.canary.steps" },
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
    { serverPath: "spec.strategy.canary.steps" },
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
    { serverPath: "spec.strategy.canary.steps" },
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
    { serverPath: "spec.strategy.canary.steps" },
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
    "replicas beyond int32",
    (s) => (canary(s).steps[2].replicas = 3_000_000_000),
    "spec.strategy.canary.steps[2].replicas",
    "must be at most 2147483647 (the largest 32-bit integer)",
  ],
  [
    "failureThreshold beyond int32",
    (s) => (canary(s).failureThreshold = 3_000_000_000),
    "spec.strategy.canary.failureThreshold",
    "must be at most 2147483647",
  ],
  [
    "progressDeadlineSeconds beyond int32",
    (s) => (canary(s).progressDeadlineSeconds = 3_000_000_000),
    "spec.strategy.canary.progressDeadlineSeconds",
    "must be at most 2147483647",
  ],
  [
    "pause duration of 10^12 whole seconds",
    (s) => (canary(s).steps[1].pause.duration = 1_000_000_000_000),
    "spec.strategy.canary.steps[1].pause.duration",
    "must be at most 2147483647",
  ],
  [
    "pause duration string of 10^12 seconds",
    (s) => (canary(s).steps[1].pause.duration = "1000000000000s"),
    "spec.strategy.canary.steps[1].pause.duration",
    "pause.duration must be a duration of at most 596523h14m7s",
  ],
  [
    "pause duration with units out of order",
    (s) => (canary(s).steps[1].pause.duration = "30m1h"),
    "spec.strategy.canary.steps[1].pause.duration",
    "each at most once, in that order",
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

export const TEMPLATE_REJECTS: RejectCase[] = [
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
    { webhookOnly: true },
  ],
  [
    "a condition comparing a double with a string",
    (s) => (metric(s)["failureCondition"] = "result[0] < 'low'"),
    "spec.metrics[0].failureCondition",
    "no such overload",
    { webhookOnly: true },
  ],
  [
    "a condition that is not a bool",
    (s) => (metric(s)["successCondition"] = "result[0]"),
    "spec.metrics[0].successCondition",
    "must be a bool expression",
    { webhookOnly: true },
  ],
  [
    "a condition with an unknown variable",
    (s) => (metric(s)["successCondition"] = "value > 1.0"),
    "spec.metrics[0].successCondition",
    "Unknown variable: value",
    { webhookOnly: true },
  ],
  [
    "a condition using an undeclared argument",
    (s) => (metric(s)["successCondition"] = "result[0] >= double(args.limit)"),
    "spec.metrics[0].successCondition",
    "uses args.limit",
    { webhookOnly: true },
  ],
  [
    "a query using an undeclared argument",
    (s) => (prom(s)["query"] = 'up{job="{{args.nope}}"}'),
    "spec.metrics[0].provider.prometheus.query",
    "uses {{args.nope}}, which the template does not declare: declare it in spec.args",
    { webhookOnly: true },
  ],
  [
    "a query with a misspelt built-in variable",
    (s) => (prom(s)["query"] = 'up{x="{{ canary.revison }}"}'),
    "spec.metrics[0].provider.prometheus.query",
    "uses {{canary.revison}}, which is not a variable: did you mean {{canary.revision}}?",
    { webhookOnly: true },
  ],
  [
    "a query with an unclosed placeholder",
    (s) => (prom(s)["query"] = 'up{job="{{args.service"}'),
    "spec.metrics[0].provider.prometheus.query",
    "is never closed",
    { webhookOnly: true },
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
    "(units h, m, s, each at most once, in that order)",
  ],
  [
    "interval of 10^12 seconds (beyond int32)",
    (s) => (metric(s)["interval"] = "1000000000000s"),
    "spec.metrics[0].interval",
    "interval must be a positive duration of at most 596523h14m7s (2147483647 seconds)",
  ],
  [
    "initialDelay just beyond int32 seconds",
    (s) => (metric(s)["initialDelay"] = "596523h14m8s"),
    "spec.metrics[0].initialDelay",
    "initialDelay must be a duration of at most 596523h14m7s",
  ],
  [
    "timeout with a unit twice",
    (s) => (prom(s)["timeout"] = "5s5s"),
    "spec.metrics[0].provider.prometheus.timeout",
    "each at most once, in that order",
  ],
  [
    "timeout in whole seconds beyond int32",
    (s) => (prom(s)["timeout"] = 1_000_000_000_000),
    "spec.metrics[0].provider.prometheus.timeout",
    "must be at most 2147483647 (the largest 32-bit integer)",
  ],
  [
    "failureLimit beyond int32",
    (s) => (metric(s)["failureLimit"] = 3_000_000_000),
    "spec.metrics[0].failureLimit",
    "must be at most 2147483647",
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

/** The cases as plain rows for `it.each` (name, mutate, path, message). */
export function rows(table: readonly RejectCase[]): [string, (spec: Spec) => void, string, string][] {
  return table.map(([name, mutate, path, message]) => [name, mutate, path, message]);
}
