// Defaults, in one place. The CRD carries no `default:` values (the stored object stays what the user
// wrote, and e.g. deploymentStyle must stay absent for a StatefulSet); instead the controller, webhook and
// CLI read every validated spec through these functions, which also parse durations and int-or-percent
// values once. See docs/decisions/api-defaults-in-code.md.
import type { Metric, NoDataPolicy, OnErrorPolicy, PrometheusProvider } from "./analysis-template.ts";
import { parseDuration, parseIntOrPercent, type ParsedIntOrPercent } from "./primitives.ts";
import type {
  AnalysisArg,
  AnalysisTemplateRef,
  DeploymentStyle,
  HeaderMatch,
  IstioRouting,
  NginxRouting,
  OnFailure,
  RolloutSpec,
  StepPause,
  TrafficRouting,
  WorkloadRef,
} from "./rollout.ts";

export const DEFAULTS = {
  deploymentStyle: "partition",
  failureThreshold: 0,
  progressDeadlineSeconds: 600,
  onFailure: "abort",
  gracePeriodSeconds: 3,
  startingStep: 1,
  matchType: "Exact",
  metric: {
    initialDelaySeconds: 0,
    intervalSeconds: 30,
    count: 1,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    noData: "Inconclusive",
    onError: "Inconclusive",
    timeoutSeconds: 10,
  },
} as const;

/** What a step does after its upgrade, traffic and analysis. Absent pause means no pause (SPEC §2.1). */
export type Pause =
  | { readonly kind: "none" }
  | { readonly kind: "approval" }
  | { readonly kind: "duration"; readonly seconds: number };

export interface EffectiveAnalysis {
  readonly templates: readonly AnalysisTemplateRef[];
  readonly args: readonly AnalysisArg[];
}

export interface EffectiveStep {
  readonly replicas: ParsedIntOrPercent;
  /** Traffic % on the canary set by this step; null when the step does not set traffic. */
  readonly traffic: number | null;
  readonly matches: readonly { readonly headers: readonly Required<HeaderMatch>[] }[];
  readonly analysis: EffectiveAnalysis | null;
  readonly pause: Pause;
}

export interface EffectiveTrafficRouting {
  readonly service: string;
  readonly gracePeriodSeconds: number;
  readonly router:
    | { readonly kind: "nginx"; readonly nginx: NginxRouting }
    | { readonly kind: "istio"; readonly istio: IstioRouting };
}

export interface EffectiveRolloutSpec {
  readonly workloadRef: WorkloadRef;
  readonly paused: boolean;
  readonly disabled: boolean;
  readonly ignoreTemplateKeys: readonly string[];
  /** null for StatefulSet and CloneSet, where the field does not apply. */
  readonly deploymentStyle: DeploymentStyle | null;
  readonly failureThreshold: ParsedIntOrPercent;
  readonly progressDeadlineSeconds: number;
  readonly onFailure: OnFailure;
  readonly steps: readonly EffectiveStep[];
  readonly trafficRouting: EffectiveTrafficRouting | null;
  readonly backgroundAnalysis: (EffectiveAnalysis & { readonly startingStep: number }) | null;
}

export function pauseOf(pause: StepPause | undefined): Pause {
  if (pause === undefined) return { kind: "none" };
  if (pause.duration === undefined) return { kind: "approval" };
  return { kind: "duration", seconds: parseDuration(pause.duration) };
}

function percent(value: string | undefined): number | null {
  if (value === undefined) return null;
  const parsed = parseIntOrPercent(value);
  return parsed.value;
}

function routerOf(routing: TrafficRouting): EffectiveTrafficRouting["router"] {
  if (routing.nginx) return { kind: "nginx", nginx: routing.nginx };
  if (routing.istio) return { kind: "istio", istio: routing.istio };
  // parseRollout refuses this (CEL rule "exactly one traffic router"); reaching it is a programming error.
  throw new Error("trafficRouting has neither nginx nor istio: parse the Rollout with parseRollout first");
}

/** Applies every default to a spec that parseRollout accepted. */
export function withDefaults(spec: RolloutSpec): EffectiveRolloutSpec {
  const canary = spec.strategy.canary;
  const routing = canary.trafficRouting;
  return {
    workloadRef: spec.workloadRef,
    paused: spec.paused ?? false,
    disabled: spec.disabled ?? false,
    ignoreTemplateKeys: spec.ignoreTemplateKeys ?? [],
    deploymentStyle:
      spec.workloadRef.kind === "Deployment" ? (canary.deploymentStyle ?? DEFAULTS.deploymentStyle) : null,
    failureThreshold: parseIntOrPercent(canary.failureThreshold ?? DEFAULTS.failureThreshold),
    progressDeadlineSeconds: canary.progressDeadlineSeconds ?? DEFAULTS.progressDeadlineSeconds,
    onFailure: canary.onFailure ?? DEFAULTS.onFailure,
    steps: canary.steps.map((step) => ({
      replicas: parseIntOrPercent(step.replicas),
      traffic: percent(step.traffic),
      matches: (step.matches ?? []).map((m) => ({
        headers: m.headers.map((h) => ({ name: h.name, value: h.value, type: h.type ?? DEFAULTS.matchType })),
      })),
      analysis: step.analysis ? { templates: step.analysis.templates, args: step.analysis.args ?? [] } : null,
      pause: pauseOf(step.pause),
    })),
    trafficRouting: routing
      ? {
          service: routing.service,
          gracePeriodSeconds: routing.gracePeriodSeconds ?? DEFAULTS.gracePeriodSeconds,
          router: routerOf(routing),
        }
      : null,
    backgroundAnalysis: canary.analysis
      ? {
          templates: canary.analysis.templates,
          args: canary.analysis.args ?? [],
          startingStep: canary.analysis.startingStep ?? DEFAULTS.startingStep,
        }
      : null,
  };
}

export interface EffectiveMetric {
  readonly name: string;
  readonly prometheus: PrometheusProvider & { readonly timeoutSeconds: number };
  readonly initialDelaySeconds: number;
  readonly intervalSeconds: number;
  readonly count: number;
  readonly successCondition: string | null;
  readonly failureCondition: string | null;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly consecutiveErrorLimit: number;
  readonly noData: NoDataPolicy;
  readonly onError: OnErrorPolicy;
}

/** Applies every default to a metric of a template that parseAnalysisTemplate accepted. */
export function metricWithDefaults(metric: Metric): EffectiveMetric {
  const d = DEFAULTS.metric;
  const p = metric.provider.prometheus;
  return {
    name: metric.name,
    prometheus: {
      ...p,
      timeoutSeconds: p.timeout === undefined ? d.timeoutSeconds : parseDuration(p.timeout),
    },
    initialDelaySeconds:
      metric.initialDelay === undefined ? d.initialDelaySeconds : parseDuration(metric.initialDelay),
    intervalSeconds: metric.interval === undefined ? d.intervalSeconds : parseDuration(metric.interval),
    count: metric.count ?? d.count,
    successCondition: metric.successCondition ?? null,
    failureCondition: metric.failureCondition ?? null,
    failureLimit: metric.failureLimit ?? d.failureLimit,
    inconclusiveLimit: metric.inconclusiveLimit ?? d.inconclusiveLimit,
    consecutiveErrorLimit: metric.consecutiveErrorLimit ?? d.consecutiveErrorLimit,
    noData: metric.noData ?? d.noData,
    onError: metric.onError ?? d.onError,
  };
}
