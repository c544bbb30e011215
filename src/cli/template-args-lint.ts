// `slipway lint`: a Rollout whose analysis names a template that is in the input, and leaves one of its
// arguments without a value (no default in the template, none in the Rollout). The controller would stop
// the release at that gate; lint says so before. Templates not in the input may exist in the cluster, so
// they are not reported.
import { mergeArgs } from "../analysis/templates.ts";
import type { AnalysisTemplateSpec } from "../api/analysis-template.ts";
import { KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE } from "../api/names.ts";
import { parseAnalysisTemplate, parseClusterAnalysisTemplate } from "../api/parse.ts";
import type { Rollout } from "../api/rollout.ts";
import { identify, type Manifest } from "./manifests.ts";
import { isSlipway } from "./validate.ts";

interface KnownTemplate {
  readonly cluster: boolean;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly spec: AnalysisTemplateSpec;
}

interface AnalysisUse {
  readonly path: string;
  readonly templates: readonly { readonly name: string; readonly clusterScope?: boolean }[];
  readonly args: readonly { readonly name: string; readonly value: string }[];
}

/** `<field path>: <message>` lines, to be prefixed with the Rollout. */
export function templateArgFindings(rollout: Rollout, manifests: readonly Manifest[]): string[] {
  const known = knownTemplates(manifests);
  const namespace = rollout.metadata.namespace;
  const out: string[] = [];
  for (const use of analysisUses(rollout)) {
    for (const ref of use.templates) {
      const cluster = ref.clusterScope === true;
      const template = known.find(
        (t) =>
          t.cluster === cluster &&
          t.name === ref.name &&
          (cluster || t.namespace === undefined || namespace === undefined || t.namespace === namespace),
      );
      if (template === undefined) continue;
      const { missing } = mergeArgs(template.spec, use.args);
      if (missing.length === 0) continue;
      const kind = cluster ? KIND_CLUSTER_ANALYSIS_TEMPLATE : KIND_ANALYSIS_TEMPLATE;
      const names = missing.map((n) => `"${n}"`).join(", ");
      const example = missing.map((n) => `{name: ${n}, value: ...}`).join(", ");
      out.push(
        `${use.path}: ${kind} ${ref.name} needs argument${missing.length > 1 ? "s" : ""} ${names}, which ` +
          `${missing.length > 1 ? "have" : "has"} no default: add ${example} to ${use.path}, or a value to the template's spec.args`,
      );
    }
  }
  return out;
}

function analysisUses(rollout: Rollout): AnalysisUse[] {
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

/** The valid templates among the manifests (invalid ones are reported on their own). */
function knownTemplates(manifests: readonly Manifest[]): KnownTemplate[] {
  const out: KnownTemplate[] = [];
  for (const m of manifests) {
    const { apiVersion, kind } = identify(m.object);
    if (!isSlipway(apiVersion)) continue;
    const cluster = kind === KIND_CLUSTER_ANALYSIS_TEMPLATE;
    if (!cluster && kind !== KIND_ANALYSIS_TEMPLATE) continue;
    const parsed = cluster ? parseClusterAnalysisTemplate(m.object) : parseAnalysisTemplate(m.object);
    if (!parsed.ok) continue;
    const { name, namespace } = parsed.value.metadata;
    out.push({
      cluster,
      name: name ?? "",
      namespace: cluster ? undefined : namespace,
      spec: parsed.value.spec,
    });
  }
  return out;
}
