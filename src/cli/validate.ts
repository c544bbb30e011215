// Validates the Slipway objects in a set of manifests with the admission rules (src/api/parse.ts).
// Other kinds (a Deployment next to its Rollout) are counted and ignored.
import type { AnalysisTemplate, ClusterAnalysisTemplate } from "../api/analysis-template.ts";
import { GROUP, KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE, KIND_ROLLOUT } from "../api/names.ts";
import {
  parseAnalysisTemplate,
  parseClusterAnalysisTemplate,
  parseRollout,
  type ParseResult,
} from "../api/parse.ts";
import type { Problem } from "../api/problems.ts";
import type { Rollout } from "../api/rollout.ts";
import { identify, type Manifest } from "./manifests.ts";

export type Checked =
  | { readonly kind: typeof KIND_ROLLOUT; readonly ref: string; readonly value: Rollout }
  | { readonly kind: typeof KIND_ANALYSIS_TEMPLATE; readonly ref: string; readonly value: AnalysisTemplate }
  | {
      readonly kind: typeof KIND_CLUSTER_ANALYSIS_TEMPLATE;
      readonly ref: string;
      readonly value: ClusterAnalysisTemplate;
    };

export interface Validation {
  readonly valid: readonly Checked[];
  /** One line per problem: `<Kind>/<name>: <field path>: <message>`. */
  readonly problems: readonly string[];
  /** Objects of other kinds, ignored. */
  readonly others: readonly Manifest[];
}

const KNOWN = `${KIND_ROLLOUT}, ${KIND_ANALYSIS_TEMPLATE} or ${KIND_CLUSTER_ANALYSIS_TEMPLATE}`;

const PARSERS: {
  readonly [K in Checked["kind"]]: (o: unknown) => ParseResult<Extract<Checked, { kind: K }>["value"]>;
} = {
  [KIND_ROLLOUT]: parseRollout,
  [KIND_ANALYSIS_TEMPLATE]: parseAnalysisTemplate,
  [KIND_CLUSTER_ANALYSIS_TEMPLATE]: parseClusterAnalysisTemplate,
};

function isParsable(kind: string): kind is Checked["kind"] {
  return Object.hasOwn(PARSERS, kind);
}

export function isSlipway(apiVersion: string | undefined): boolean {
  return apiVersion?.split("/")[0] === GROUP;
}

export function refOf(m: Manifest): string {
  const { kind, name } = identify(m.object);
  return `${kind ?? "object"}/${name ?? `(unnamed, document ${m.document} at line ${m.line})`}`;
}

export function problemLines(ref: string, problems: readonly Problem[]): string[] {
  return problems.map((p) => `${ref}: ${p.path || "(object)"}: ${p.message}`);
}

export function validateManifests(manifests: readonly Manifest[]): Validation {
  const valid: Checked[] = [];
  const problems: string[] = [];
  const others: Manifest[] = [];
  for (const m of manifests) {
    const { apiVersion, kind } = identify(m.object);
    const ref = refOf(m);
    if (apiVersion === undefined || kind === undefined) {
      problems.push(`${ref}: (object): not a Kubernetes object: add apiVersion and kind`);
      continue;
    }
    if (!isSlipway(apiVersion)) {
      others.push(m);
      continue;
    }
    if (!isParsable(kind)) {
      problems.push(`${ref}: kind: ${GROUP} has no kind "${kind}": use ${KNOWN}`);
      continue;
    }
    const result = PARSERS[kind](m.object);
    // The parser was picked by `kind`, so the value has that kind's type.
    if (result.ok) valid.push({ kind, ref, value: result.value } as Checked);
    else problems.push(...problemLines(ref, result.problems));
  }
  return { valid, problems, others };
}
