// Rollout admission: the templates a Rollout's analysis names, read when that analysis is new or changed,
// so that a required argument it does not pass is refused now rather than stopping a release at the gate.
// A template that does not exist yet is not judged (it may be created after the Rollout).

import { analysisUses, missingArgProblems } from "../src/analysis/template-args.ts";
import type { TemplateRef } from "../src/analysis/templates.ts";
import type { AnalysisTemplateSpec } from "../src/api/analysis-template.ts";
import { parseAnalysisTemplate, parseClusterAnalysisTemplate } from "../src/api/parse.ts";
import type { Problem } from "../src/api/problems.ts";
import type { Rollout } from "../src/api/rollout.ts";
import type { TemplateReader } from "./handlers.ts";
import { deepEqualJson } from "./json-patch.ts";

export interface TemplateCheck {
  readonly problems: readonly Problem[];
  readonly warnings: readonly string[];
}

const NOTHING: TemplateCheck = { problems: [], warnings: [] };

export async function checkTemplateArgs(
  rollout: Rollout,
  live: Rollout | undefined,
  namespace: string,
  reader: TemplateReader,
): Promise<TemplateCheck> {
  const uses = analysisUses(rollout);
  if (uses.length === 0) return NOTHING;
  if (live !== undefined && deepEqualJson(analysisUses(live), uses)) return NOTHING;
  const refs = new Map<string, TemplateRef>();
  for (const ref of uses.flatMap((u) => u.templates)) refs.set(keyOf(ref), ref);
  const specs = new Map<string, AnalysisTemplateSpec>();
  const warnings: string[] = [];
  await Promise.all(
    [...refs].map(async ([key, ref]) => {
      const lookup = await reader.read(namespace, ref);
      if (lookup.found === "unknown") {
        warnings.push(`${key} could not be read to check the arguments passed to it: ${lookup.error}`);
      } else if (lookup.found) {
        const parsed =
          ref.clusterScope === true
            ? parseClusterAnalysisTemplate(lookup.object)
            : parseAnalysisTemplate(lookup.object);
        // An invalid stored template is reported where it is used (the gate names it).
        if (parsed.ok) specs.set(key, parsed.value.spec);
      }
    }),
  );
  return { problems: missingArgProblems(rollout, (ref) => specs.get(keyOf(ref))), warnings };
}

function keyOf(ref: TemplateRef): string {
  return ref.clusterScope === true ? `ClusterAnalysisTemplate ${ref.name}` : `AnalysisTemplate ${ref.name}`;
}
