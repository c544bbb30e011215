// Resolving what a gate measures: AnalysisTemplate / ClusterAnalysisTemplate lookup (through a small
// interface the reconciler backs with informer caches), arguments (template defaults overridden by the
// Rollout's `analysis.args`; every missing one reported), the built-in variables, and each metric's
// query rendered with PromQL-safe substitution. Secret header values are NOT read here: they are read
// at measurement time (prometheus-provider.ts) so that they never enter persisted state.
import type { AnalysisTemplateSpec, PrometheusHeader } from "../api/analysis-template.ts";
import { metricWithDefaults, type EffectiveMetric } from "../api/defaults.ts";
import { API_VERSION, KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE } from "../api/names.ts";
import { parseAnalysisTemplate, parseClusterAnalysisTemplate } from "../api/parse.ts";
import type { Problem } from "../api/problems.ts";
import { substituteQuery, type QueryVariables } from "./substitute.ts";

/** Where templates come from. Values are the objects as the API server returns them (parsed here). */
export interface TemplateSource {
  analysisTemplate(namespace: string, name: string): unknown;
  clusterAnalysisTemplate(name: string): unknown;
}

export interface TemplateRef {
  readonly name: string;
  readonly clusterScope?: boolean;
}

export interface ArgValue {
  readonly name: string;
  readonly value: string;
}

/** The release a gate belongs to: the built-in variables and where Secrets are read. */
export interface AnalysisScope {
  readonly rollout: { readonly name: string; readonly namespace: string };
  readonly canaryRevision: string;
  readonly stableRevision: string;
  /** Namespace of header Secrets for ClusterAnalysisTemplates (Slipway's own namespace). */
  readonly clusterSecretNamespace: string;
}

/** The variables a condition sees besides `result` (CONDITION_VARIABLES in src/api/condition.ts). */
export type ConditionVariables = QueryVariables;

export interface PreparedMetric {
  /** `<template>/<metric>`: unique within a gate even when two templates share a metric name. */
  readonly key: string;
  readonly template: string;
  readonly metric: EffectiveMetric;
  /** The query with every placeholder substituted. */
  readonly query: string;
  readonly headers: readonly PrometheusHeader[];
  /** Namespace of the Secrets its headers name. */
  readonly secretNamespace: string;
  readonly variables: ConditionVariables;
}

export type Resolution =
  | { readonly ok: true; readonly metrics: readonly PreparedMetric[] }
  | { readonly ok: false; readonly problem: string };

/** Resolves every referenced template; the first problem (naming the object and the fix) stops it. */
export async function resolveTemplates(
  refs: readonly TemplateRef[],
  args: readonly ArgValue[],
  scope: AnalysisScope,
  source: TemplateSource,
): Promise<Resolution> {
  const metrics: PreparedMetric[] = [];
  for (const ref of refs) {
    const one = await resolveTemplate(ref, args, scope, source);
    if (!one.ok) return one;
    metrics.push(...one.metrics);
  }
  const seen = new Set<string>();
  for (const m of metrics) {
    if (seen.has(m.key))
      return { ok: false, problem: `template ${m.template} is referenced twice: list it once` };
    seen.add(m.key);
  }
  return { ok: true, metrics };
}

async function resolveTemplate(
  ref: TemplateRef,
  args: readonly ArgValue[],
  scope: AnalysisScope,
  source: TemplateSource,
): Promise<Resolution> {
  const cluster = ref.clusterScope === true;
  const what = cluster
    ? `ClusterAnalysisTemplate ${ref.name}`
    : `AnalysisTemplate ${scope.rollout.namespace}/${ref.name}`;
  const raw: unknown = await (cluster
    ? source.clusterAnalysisTemplate(ref.name)
    : source.analysisTemplate(scope.rollout.namespace, ref.name));
  if (raw === undefined || raw === null) {
    const hint = cluster ? "" : " (or set clusterScope: true for a ClusterAnalysisTemplate)";
    return { ok: false, problem: `${what} does not exist: create it${hint}` };
  }
  const spec = parseTemplate(raw, cluster);
  if (!spec.ok) return { ok: false, problem: `${what} is invalid: ${spec.problems}` };
  const merged = mergeArgs(spec.value, args);
  if (merged.missing.length > 0) {
    const list = merged.missing.map((n) => `"${n}"`).join(", ");
    const example = merged.missing.map((n) => `{name: ${n}, value: ...}`).join(", ");
    return {
      ok: false,
      problem:
        `${what} needs argument${merged.missing.length > 1 ? "s" : ""} ${list} without a default: ` +
        `add ${example} to the Rollout's analysis.args, or a value to the template's spec.args`,
    };
  }
  const variables: ConditionVariables = {
    args: merged.values,
    canary: { revision: scope.canaryRevision },
    stable: { revision: scope.stableRevision },
    rollout: { name: scope.rollout.name, namespace: scope.rollout.namespace },
  };
  const metrics: PreparedMetric[] = [];
  for (const m of spec.value.metrics) {
    const metric = metricWithDefaults(m);
    const query = substituteQuery(metric.prometheus.query, variables);
    if (!query.ok) {
      return { ok: false, problem: `${what} metric ${metric.name}: query ${query.problems.join("; ")}` };
    }
    metrics.push({
      key: `${ref.name}/${metric.name}`,
      template: ref.name,
      metric,
      query: query.query,
      headers: metric.prometheus.headers ?? [],
      secretNamespace: cluster ? scope.clusterSecretNamespace : scope.rollout.namespace,
      variables,
    });
  }
  return { ok: true, metrics };
}

/** Template defaults, overridden by the Rollout's values; names the template declares without either. */
export function mergeArgs(
  spec: AnalysisTemplateSpec,
  given: readonly ArgValue[],
): { readonly values: Readonly<Record<string, string>>; readonly missing: readonly string[] } {
  const byName = new Map(given.map((a) => [a.name, a.value]));
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const arg of spec.args ?? []) {
    // Arguments the template does not declare are ignored: one args list serves every template of a step.
    const value = byName.get(arg.name) ?? arg.value;
    if (value === undefined) missing.push(arg.name);
    else values[arg.name] = value;
  }
  return { values, missing };
}

type SpecParse =
  | { readonly ok: true; readonly value: AnalysisTemplateSpec }
  | { readonly ok: false; readonly problems: string };

/** Informer objects may lack apiVersion/kind (list items); everything else goes through the API's parser. */
function parseTemplate(raw: unknown, cluster: boolean): SpecParse {
  const kind = cluster ? KIND_CLUSTER_ANALYSIS_TEMPLATE : KIND_ANALYSIS_TEMPLATE;
  const obj = typeof raw === "object" && raw !== null ? { apiVersion: API_VERSION, kind, ...raw } : raw;
  const parsed = cluster ? parseClusterAnalysisTemplate(obj) : parseAnalysisTemplate(obj);
  if (parsed.ok) return { ok: true, value: parsed.value.spec };
  return { ok: false, problems: describeProblems(parsed.problems) };
}

function describeProblems(problems: readonly Problem[]): string {
  const shown = problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
  return shown.join("; ") + more;
}
