// `slipway lint`: a Rollout that leaves a required argument of a template in the input without a value
// (src/analysis/template-args.ts). Templates not in the input may exist in the cluster: not judged.
import { missingArgProblems } from "../analysis/template-args.ts";
import type { TemplateRef } from "../analysis/templates.ts";
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

/** `<field path>: <message>` lines, to be prefixed with the Rollout. */
export function templateArgFindings(rollout: Rollout, manifests: readonly Manifest[]): string[] {
  const known = knownTemplates(manifests);
  const namespace = rollout.metadata.namespace;
  const find = (ref: TemplateRef) => {
    const cluster = ref.clusterScope === true;
    return known.find(
      (t) =>
        t.cluster === cluster &&
        t.name === ref.name &&
        (cluster || t.namespace === undefined || namespace === undefined || t.namespace === namespace),
    )?.spec;
  };
  return missingArgProblems(rollout, find).map((p) => `${p.path}: ${p.message}`);
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
