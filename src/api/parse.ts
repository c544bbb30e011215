// Parse, don't validate: every Rollout or AnalysisTemplate entering Slipway (admission, informer, CLI)
// goes through these functions once. They apply the same rules as admission: the CRD schema (zod), the
// CRD's CEL rules (evaluated offline) and, for templates, the CEL type-check of the conditions and the
// placeholders of the queries.
import type { z } from "zod";
import {
  AnalysisTemplateSchema,
  ClusterAnalysisTemplateSchema,
  type AnalysisTemplate,
  type ClusterAnalysisTemplate,
} from "./analysis-template.ts";
import { evaluateCelRules } from "./cel-offline.ts";
import { REQUIRED } from "./common.ts";
import { checkAnalysisCondition } from "./condition.ts";
import { openApiSchemaFor, type SlipwayKind } from "./crd.ts";
import { KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE, KIND_ROLLOUT } from "./names.ts";
import { problemsFromZod, type Problem } from "./problems.ts";
import { queryPlaceholderProblems } from "./query-placeholders.ts";
import { RolloutSchema, type Rollout } from "./rollout.ts";

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

function parseWith<T>(
  kind: SlipwayKind,
  schema: z.ZodType,
  obj: unknown,
  extra?: (obj: unknown) => Problem[],
): ParseResult<T> {
  const openApi = openApiSchemaFor(kind);
  // Per-parse error map: any field without its own message reports a missing value as REQUIRED.
  const parsed = schema.safeParse(obj, {
    error: (issue) => (issue.input === undefined ? REQUIRED : undefined),
  });
  const schemaProblems = parsed.success ? [] : problemsFromZod(parsed.error, openApi);
  const problems = [
    ...schemaProblems,
    ...evaluateCelRules(openApi, obj, schemaProblems),
    ...(extra?.(obj) ?? []),
  ];
  return problems.length === 0 ? { ok: true, value: parsed.data as T } : { ok: false, problems };
}

export function parseRollout(obj: unknown): ParseResult<Rollout> {
  return parseWith<Rollout>(KIND_ROLLOUT, RolloutSchema, obj);
}

export function parseAnalysisTemplate(obj: unknown): ParseResult<AnalysisTemplate> {
  return parseWith<AnalysisTemplate>(KIND_ANALYSIS_TEMPLATE, AnalysisTemplateSchema, obj, templateProblems);
}

export function parseClusterAnalysisTemplate(obj: unknown): ParseResult<ClusterAnalysisTemplate> {
  return parseWith<ClusterAnalysisTemplate>(
    KIND_CLUSTER_ANALYSIS_TEMPLATE,
    ClusterAnalysisTemplateSchema,
    obj,
    templateProblems,
  );
}

/** What no CRD rule can check in a template: its CEL conditions and its query placeholders. */
export function templateProblems(template: unknown): Problem[] {
  return [...conditionProblems(template), ...queryProblems(template)];
}

const ARG_REFERENCE = /\bargs\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g;

/**
 * Type-checks the conditions of a template and catches `args.x` where the template declares no
 * argument x. Reads the raw object defensively, so these problems show up next to schema problems.
 */
export function conditionProblems(template: unknown): Problem[] {
  const spec = field(template, "spec");
  const declared = new Set(arrayOf(field(spec, "args")).map((a) => field(a, "name")));
  const out: Problem[] = [];
  for (const [i, metric] of arrayOf(field(spec, "metrics")).entries()) {
    for (const key of ["successCondition", "failureCondition"] as const) {
      const expr = field(metric, key);
      if (typeof expr !== "string") continue;
      const path = `spec.metrics[${i}].${key}`;
      const check = checkAnalysisCondition(expr);
      if (!check.ok) {
        out.push({ path, message: check.message });
        continue;
      }
      for (const m of expr.matchAll(ARG_REFERENCE)) {
        const name = m[1] ?? m[2] ?? "";
        if (!declared.has(name)) {
          out.push({
            path,
            message: `uses args.${name}, which the template does not declare: add {name: ${name}} to spec.args`,
          });
        }
      }
    }
  }
  return out;
}

/**
 * Placeholders in each metric's query that could never resolve (SPEC §2.2): undeclared arguments,
 * misspelt built-in variables, an unclosed `{{`. Only the query is templated (header values are sent as
 * written), so it is the only field checked.
 */
export function queryProblems(template: unknown): Problem[] {
  const spec = field(template, "spec");
  const declared = declaredArgs(spec);
  const out: Problem[] = [];
  for (const [i, metric] of arrayOf(field(spec, "metrics")).entries()) {
    const query = field(field(field(metric, "provider"), "prometheus"), "query");
    if (typeof query !== "string") continue;
    const path = `spec.metrics[${i}].provider.prometheus.query`;
    for (const message of queryPlaceholderProblems(query, declared)) out.push({ path, message });
  }
  return out;
}

function declaredArgs(spec: unknown): Set<string> {
  const names = arrayOf(field(spec, "args")).map((a) => field(a, "name"));
  return new Set(names.filter((n): n is string => typeof n === "string"));
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function arrayOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
