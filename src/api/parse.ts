// Parse, don't validate: every Rollout or AnalysisTemplate entering Slipway (admission, informer, CLI)
// goes through these functions once. They apply the same rules as admission: the CRD schema (zod), the
// CRD's CEL rules (evaluated offline) and, for templates, the CEL type-check of the conditions.
import type { z } from "zod";
import {
  AnalysisTemplateSchema,
  ClusterAnalysisTemplateSchema,
  type AnalysisTemplate,
  type AnalysisTemplateSpec,
  type ClusterAnalysisTemplate,
} from "./analysis-template.ts";
import { evaluateCelRules } from "./cel-offline.ts";
import { REQUIRED } from "./common.ts";
import { checkAnalysisCondition } from "./condition.ts";
import { openApiSchemaFor, type SlipwayKind } from "./crd.ts";
import { KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE, KIND_ROLLOUT } from "./names.ts";
import { problemsFromZod, type Problem } from "./problems.ts";
import { RolloutSchema, type Rollout } from "./rollout.ts";

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

function parseWith<T>(
  kind: SlipwayKind,
  schema: z.ZodType,
  obj: unknown,
  extra?: (value: T) => Problem[],
): ParseResult<T> {
  const openApi = openApiSchemaFor(kind);
  // Per-parse error map: any field without its own message reports a missing value as REQUIRED.
  const parsed = schema.safeParse(obj, {
    error: (issue) => (issue.input === undefined ? REQUIRED : undefined),
  });
  const schemaProblems = parsed.success ? [] : problemsFromZod(parsed.error, openApi);
  const problems = [...schemaProblems, ...evaluateCelRules(openApi, obj, schemaProblems)];
  if (parsed.success && extra) problems.push(...extra(parsed.data as T));
  return problems.length === 0 ? { ok: true, value: parsed.data as T } : { ok: false, problems };
}

export function parseRollout(obj: unknown): ParseResult<Rollout> {
  return parseWith<Rollout>(KIND_ROLLOUT, RolloutSchema, obj);
}

export function parseAnalysisTemplate(obj: unknown): ParseResult<AnalysisTemplate> {
  return parseWith<AnalysisTemplate>(KIND_ANALYSIS_TEMPLATE, AnalysisTemplateSchema, obj, (t) =>
    conditionProblems(t.spec),
  );
}

export function parseClusterAnalysisTemplate(obj: unknown): ParseResult<ClusterAnalysisTemplate> {
  return parseWith<ClusterAnalysisTemplate>(
    KIND_CLUSTER_ANALYSIS_TEMPLATE,
    ClusterAnalysisTemplateSchema,
    obj,
    (t) => conditionProblems(t.spec),
  );
}

const ARG_REFERENCE = /\bargs\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g;

/** Type-checks conditions and catches `args.x` where the template declares no argument x. */
export function conditionProblems(spec: AnalysisTemplateSpec): Problem[] {
  const declared = new Set((spec.args ?? []).map((a) => a.name));
  const out: Problem[] = [];
  for (const [i, metric] of spec.metrics.entries()) {
    for (const field of ["successCondition", "failureCondition"] as const) {
      const expr = metric[field];
      if (expr === undefined) continue;
      const path = `spec.metrics[${i}].${field}`;
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
