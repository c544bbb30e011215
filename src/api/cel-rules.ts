// Every CEL validation rule Slipway puts into its CRDs, in one place.
//
// The zod schemas attach these lists with `.meta({"x-kubernetes-validations": ...})`; scripts/gen-crds.ts
// writes them into the CRDs, where the API server enforces them; src/api/cel-offline.ts evaluates the
// very same rule text with @marcbachmann/cel-js for the webhook, the controller and `slipway lint`.
// The rules therefore stick to CEL that both engines know: the standard macros, `matches`, `substring`,
// `size`, `type()`, and `isSorted()` from the Kubernetes list library (the offline evaluator provides
// it). Bounds (maxItems, maxLength) on the schema keep the API server's cost estimate low; list rules use
// the three-argument `map(x, filter, transform)` because the API server's estimator loses the string
// bounds after a `filter()` and refuses the rule as too expensive (measured against kube-apiserver 1.36).
//
// A rule on a list reports the list's path; for those, a TS locator refines the path offline to the
// first offending item (cel-rules.test.ts proves the locator finds an item exactly when the rule fails).

import { INT32_MAX } from "./common.ts";

export interface CelRule {
  readonly rule: string;
  readonly message: string;
  /** Relative JSON path (`.steps`) the API server reports instead of the rule's own location. */
  readonly fieldPath?: string;
  readonly reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired";
}

const PCT = "'^[0-9]{1,3}%$'";
const pct = (x: string): string => `int(${x}.substring(0, ${x}.size() - 1))`;
/**
 * A string duration: hours, minutes, seconds, each at most once and in that order ("1h30m", "90s"); at most
 * ten digits each, so the seconds below fit a 64-bit int before they are compared with the int32 bound.
 */
const DURATION = "'^([0-9]{1,10}h)?([0-9]{1,10}m)?([0-9]{1,10}s)?$'";
/** INT32_MAX seconds, written as a user would. */
export const MAX_DURATION_TEXT = "596523h14m7s";

function percentIn(x: string, min: number): string {
  return `${x}.matches(${PCT}) && ${pct(x)} >= ${min} && ${pct(x)} <= 100`;
}

/** On an int-or-string node: integer >= min, or a percentage in [minPercent, 100]. */
function intOrPercentRule(field: string, min: number, minPercent: number): CelRule {
  const range = minPercent === 0 ? "[0%, 100%]" : "(0%, 100%]";
  return {
    rule: `type(self) == int ? self >= ${min} : (${percentIn("self", minPercent)})`,
    message: `${field} must be an integer >= ${min} or a whole percentage in ${range} such as "30%"`,
  };
}

/**
 * CEL: the seconds of `x`, a string that matched DURATION. Each unit splits off what precedes it; without
 * `cel.bind` (not in the CRD environment) the remainders are spelled out. No Go duration: its nanoseconds
 * would overflow long before ten digits do.
 */
function durationSeconds(x: string): string {
  const amount = (s: string, unit: string) =>
    `(${s}.contains('${unit}') ? int(${s}.split('${unit}')[0]) : 0)`;
  const after = (s: string, unit: string) => `(${s}.contains('${unit}') ? ${s}.split('${unit}')[1] : ${s})`;
  const afterHours = after(x, "h");
  const afterMinutes = after(afterHours, "m");
  return `${amount(x, "h")} * 3600 + ${amount(afterHours, "m")} * 60 + ${amount(afterMinutes, "s")}`;
}

/** Whole seconds in [0 or 1, INT32_MAX]; the integer form's maximum is the schema's (zod, CRD `maximum`). */
function durationRule(field: string, positive: boolean): CelRule {
  const min = positive ? 1 : 0;
  const seconds = durationSeconds("self");
  return {
    rule:
      `type(self) == int ? self >= ${min} : (self != '' && self.matches(${DURATION}) && ` +
      `${seconds} >= ${min} && ${seconds} <= ${INT32_MAX})`,
    message:
      `${field} must be ${positive ? "a positive" : "a"} duration of at most ${MAX_DURATION_TEXT} ` +
      `(${INT32_MAX} seconds): whole seconds (30) or a string like "30s", "10m", "1h", "1h30m" ` +
      `(units h, m, s, each at most once, in that order)`,
  };
}

export const RULES = {
  stepReplicas: [intOrPercentRule("replicas", 1, 1)],
  failureThreshold: [intOrPercentRule("failureThreshold", 0, 0)],
  traffic: [
    {
      rule: percentIn("self", 1),
      message: `traffic must be a whole percentage in (0%, 100%] such as "5%"`,
    },
  ],
  pauseDuration: [durationRule("pause.duration", false)],
  metricInterval: [durationRule("interval", true)],
  metricInitialDelay: [durationRule("initialDelay", false)],
  prometheusTimeout: [durationRule("timeout", true)],

  steps: [
    {
      rule: "self.map(s, type(s.replicas) == int, int(s.replicas)).isSorted()",
      message:
        "integer replicas must not decrease from one step to a later step: order the steps by replicas " +
        "(percentages and integers are compared separately; `slipway plan` checks mixed units)",
    },
    {
      rule: `self.map(s, type(s.replicas) == string && s.replicas.matches(${PCT}), ${pct("s.replicas")}).isSorted()`,
      message:
        'percentage replicas must not decrease from one step to a later step: order the steps by replicas (e.g. "20%", "50%", "100%")',
    },
    {
      rule: `self.map(s, has(s.traffic) && s.traffic.matches(${PCT}), ${pct("s.traffic")}).isSorted()`,
      message: "traffic must not decrease from one step to a later step: order the steps by traffic",
    },
  ],

  canary: [
    {
      rule: "has(self.trafficRouting) || self.steps.all(s, !has(s.traffic) && !has(s.matches))",
      message:
        "traffic and matches need trafficRouting: add spec.strategy.canary.trafficRouting " +
        "(service plus nginx or istio) or remove traffic and matches from the steps",
      fieldPath: ".steps",
      reason: "FieldValueForbidden",
    },
    {
      rule:
        "!has(self.trafficRouting) || !has(self.trafficRouting.nginx) || self.steps.all(s, !has(s.matches) || " +
        "(size(s.matches) == 1 && size(s.matches[0].headers) == 1))",
      message:
        "nginx routes a canary by one header only: give each step at most one match with exactly one header, or use istio",
      fieldPath: ".steps",
      reason: "FieldValueForbidden",
    },
    {
      rule: "!has(self.analysis) || !has(self.analysis.startingStep) || self.analysis.startingStep <= size(self.steps)",
      message:
        "analysis.startingStep must name an existing step: use a number between 1 and the number of steps",
      fieldPath: ".analysis.startingStep",
    },
  ],

  trafficRouting: [
    {
      rule: "has(self.nginx) != has(self.istio)",
      message: "set exactly one traffic router: nginx or istio",
    },
  ],

  workloadRef: [
    {
      rule: "self.kind == 'CloneSet' ? self.apiVersion == 'apps.kruise.io/v1alpha1' : self.apiVersion == 'apps/v1'",
      message:
        "apiVersion does not match kind: use apps/v1 for Deployment and StatefulSet, apps.kruise.io/v1alpha1 for CloneSet",
      fieldPath: ".apiVersion",
    },
    {
      rule: "self == oldSelf",
      message: "workloadRef is immutable: delete this Rollout and create a new one for the other workload",
    },
  ],

  rolloutRoot: [
    {
      rule: "!has(self.metadata.name) || size(self.metadata.name) <= 63",
      message:
        "the Rollout name becomes a label value (rollouts.slipway.dev/managed-by): use at most 63 characters",
    },
  ],

  rolloutSpec: [
    {
      rule:
        "!has(self.strategy) || !has(self.strategy.canary) || !has(self.strategy.canary.deploymentStyle) || " +
        "self.workloadRef.kind == 'Deployment'",
      message: "deploymentStyle applies to Deployments only: remove it for a StatefulSet or CloneSet",
      fieldPath: ".strategy.canary.deploymentStyle",
      reason: "FieldValueForbidden",
    },
  ],

  metric: [
    {
      rule: "has(self.successCondition) || has(self.failureCondition)",
      message: 'a metric needs a successCondition or a failureCondition (CEL, e.g. "result[0] >= 0.99")',
      reason: "FieldValueRequired",
    },
  ],

  header: [
    {
      rule: "has(self.value) != has(self.valueFrom)",
      message: "set exactly one of value or valueFrom.secretKeyRef",
    },
  ],
} as const satisfies Record<string, readonly CelRule[]>;

/** Rules that compare with the stored object; the offline evaluator has no old object and skips them. */
export function isTransitionRule(rule: CelRule): boolean {
  return /\boldSelf\b/.test(rule.rule);
}
