// Subset mode: the DestinationRule's stable and canary subsets select the two revisions by their pod label.
// Computed from the user's original spec: an existing subset keeps its labels and gains the revision label;
// a missing one is appended. Pure.
import { hostRefersTo } from "./istio-virtual-service.ts";
import { arrayAt, objectAt, stringAt } from "./json.ts";
import type { JsonObject, JsonValue } from "./types.ts";

export interface DestinationRuleRouting {
  readonly describe: string;
  readonly namespace: string;
  readonly stableService: string;
  readonly revisionLabel: string;
  readonly subsets: readonly { readonly name: string; readonly revision: string }[];
}

export function destinationRuleSpecFor(
  original: JsonValue,
  routing: DestinationRuleRouting,
): { readonly ok: true; readonly value: JsonObject } | { readonly ok: false; readonly problem: string } {
  const spec = objectAt(original);
  const host = stringAt(spec["host"]) ?? "";
  if (!hostRefersTo(host, routing.stableService, routing.namespace)) {
    return {
      ok: false,
      problem:
        `${routing.describe} has host "${host}", not Service ${routing.stableService} (trafficRouting.service): ` +
        `name the DestinationRule of ${routing.stableService} in trafficRouting.istio.destinationRule.name`,
    };
  }
  let subsets = arrayAt(spec["subsets"]);
  for (const { name, revision } of routing.subsets) {
    const at = subsets.findIndex((s) => stringAt(objectAt(s)["name"]) === name);
    if (at < 0) {
      subsets = [...subsets, { name, labels: { [routing.revisionLabel]: revision } }];
      continue;
    }
    const subset = objectAt(subsets[at]);
    const changed = {
      ...subset,
      labels: { ...objectAt(subset["labels"]), [routing.revisionLabel]: revision },
    };
    subsets = subsets.map((s, i) => (i === at ? changed : s));
  }
  return { ok: true, value: { ...spec, subsets } };
}
