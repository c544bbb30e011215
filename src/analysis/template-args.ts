// Arguments a Rollout leaves without a value: a template argument with no default that the analysis
// (a step's or the background one) does not pass. The controller would stop the release at that gate
// (templates.ts); Rollout admission and `slipway lint` report it up front, from the templates they can see.
import type { AnalysisTemplateSpec } from "../api/analysis-template.ts";
import { KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE } from "../api/names.ts";
import type { Problem } from "../api/problems.ts";
import type { Rollout } from "../api/rollout.ts";
import { mergeArgs, type ArgValue, type TemplateRef } from "./templates.ts";

export interface AnalysisUse {
  /** Path of the args list, e.g. `spec.strategy.canary.steps[1].analysis.args`. */
  readonly path: string;
  readonly templates: readonly TemplateRef[];
  readonly args: readonly ArgValue[];
}

/** Every place the Rollout runs templates: each step's analysis, then the background analysis. */
export function analysisUses(rollout: Rollout): AnalysisUse[] {
  const canary = rollout.spec.strategy.canary;
  const uses: AnalysisUse[] = [];
  for (const [i, step] of canary.steps.entries()) {
    if (step.analysis === undefined) continue;
    const path = `spec.strategy.canary.steps[${i}].analysis.args`;
    uses.push({ path, templates: step.analysis.templates, args: step.analysis.args ?? [] });
  }
  if (canary.analysis !== undefined) {
    const { templates, args } = canary.analysis;
    uses.push({ path: "spec.strategy.canary.analysis.args", templates, args: args ?? [] });
  }
  return uses;
}

/**
 * One problem per template reference whose required arguments the Rollout does not pass. `find` returns
 * the template's spec, or undefined when it is not known (not created yet: nothing to judge).
 */
export function missingArgProblems(
  rollout: Rollout,
  find: (ref: TemplateRef) => AnalysisTemplateSpec | undefined,
): Problem[] {
  const out: Problem[] = [];
  for (const use of analysisUses(rollout)) {
    for (const ref of use.templates) {
      const spec = find(ref);
      if (spec === undefined) continue;
      const { missing } = mergeArgs(spec, use.args);
      if (missing.length === 0) continue;
      const kind = ref.clusterScope === true ? KIND_CLUSTER_ANALYSIS_TEMPLATE : KIND_ANALYSIS_TEMPLATE;
      const names = missing.map((n) => `"${n}"`).join(", ");
      const example = missing.map((n) => `{name: ${n}, value: ...}`).join(", ");
      out.push({
        path: use.path,
        message:
          `${kind} ${ref.name} needs argument${missing.length > 1 ? "s" : ""} ${names}, which ` +
          `${missing.length > 1 ? "have" : "has"} no default: add ${example} to ${use.path}, or a value ` +
          `to the template's spec.args`,
      });
    }
  }
  return out;
}
