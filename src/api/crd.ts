// The CustomResourceDefinitions, built from the zod schemas. scripts/gen-crds.ts writes them to crds/;
// crd.test.ts fails when crds/ is stale. Naming and scope decisions: docs/decisions/api-crd-names.md.
import type { z } from "zod";
import { AnalysisTemplateSpecSchema, AnalysisTemplateStatusSchema } from "./analysis-template.ts";
import { RULES, type CelRule } from "./cel-rules.ts";
import {
  GROUP,
  KIND_ANALYSIS_TEMPLATE,
  KIND_CLUSTER_ANALYSIS_TEMPLATE,
  KIND_ROLLOUT,
  PLURAL_ANALYSIS_TEMPLATES,
  PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
  PLURAL_ROLLOUTS,
  VERSION,
} from "./names.ts";
import { RolloutSpecSchema } from "./rollout.ts";
import { RolloutStatusSchema } from "./rollout-status.ts";
import { toStructuralSchema, type JsonSchema } from "./structural.ts";

export type SlipwayKind =
  typeof KIND_ROLLOUT | typeof KIND_ANALYSIS_TEMPLATE | typeof KIND_CLUSTER_ANALYSIS_TEMPLATE;

interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "date";
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
}

interface KindDescriptor {
  readonly kind: SlipwayKind;
  readonly plural: string;
  readonly shortNames: readonly string[];
  readonly scope: "Namespaced" | "Cluster";
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly rootRules: readonly CelRule[];
  readonly columns: readonly PrinterColumn[];
}

const AGE: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "time since creation",
};

export const KINDS: Readonly<Record<SlipwayKind, KindDescriptor>> = {
  [KIND_ROLLOUT]: {
    kind: KIND_ROLLOUT,
    plural: PLURAL_ROLLOUTS,
    shortNames: ["sro"],
    scope: "Namespaced",
    description: "Rollout releases a Deployment, StatefulSet or CloneSet in canary steps.",
    spec: RolloutSpecSchema,
    status: RolloutStatusSchema,
    rootRules: RULES.rolloutRoot,
    columns: [
      { name: "Phase", type: "string", jsonPath: ".status.phase", description: "phase of the Rollout" },
      {
        name: "Step",
        type: "integer",
        jsonPath: ".status.currentStepIndex",
        description: "current step (1-based)",
      },
      {
        name: "State",
        type: "string",
        jsonPath: ".status.currentStepState",
        description: "state within the step",
      },
      {
        name: "Weight",
        type: "integer",
        jsonPath: ".status.trafficWeight",
        description: "traffic % on the canary",
      },
      { name: "Message", type: "string", jsonPath: ".status.message", description: "what is happening" },
      {
        name: "Workload",
        type: "string",
        jsonPath: ".spec.workloadRef.name",
        description: "the released workload",
        priority: 1,
      },
      AGE,
    ],
  },
  [KIND_ANALYSIS_TEMPLATE]: {
    kind: KIND_ANALYSIS_TEMPLATE,
    plural: PLURAL_ANALYSIS_TEMPLATES,
    shortNames: ["sat"],
    scope: "Namespaced",
    description: "AnalysisTemplate defines metric gates that Rollouts in its namespace can use.",
    spec: AnalysisTemplateSpecSchema,
    status: AnalysisTemplateStatusSchema,
    rootRules: [],
    columns: [AGE],
  },
  [KIND_CLUSTER_ANALYSIS_TEMPLATE]: {
    kind: KIND_CLUSTER_ANALYSIS_TEMPLATE,
    plural: PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
    shortNames: ["scat"],
    scope: "Cluster",
    description: "ClusterAnalysisTemplate defines metric gates that Rollouts in every namespace can use.",
    spec: AnalysisTemplateSpecSchema,
    status: AnalysisTemplateStatusSchema,
    rootRules: [],
    columns: [AGE],
  },
};

const schemaCache = new Map<SlipwayKind, JsonSchema>();

/** The openAPIV3Schema of a kind, exactly as it is written into its CRD. */
export function openApiSchemaFor(kind: SlipwayKind): JsonSchema {
  const cached = schemaCache.get(kind);
  if (cached) return cached;
  const d = KINDS[kind];
  const schema: JsonSchema = {
    type: "object",
    description: d.description,
    properties: {
      apiVersion: { type: "string", description: "APIVersion of the object" },
      kind: { type: "string", description: "Kind of the object" },
      metadata: { type: "object" },
      spec: toStructuralSchema(d.spec),
      status: toStructuralSchema(d.status),
    },
    required: ["spec"],
  };
  if (d.rootRules.length > 0) schema["x-kubernetes-validations"] = [...d.rootRules];
  schemaCache.set(kind, schema);
  return schema;
}

export function crdFor(kind: SlipwayKind): Record<string, unknown> {
  const d = KINDS[kind];
  const singular = d.kind.toLowerCase();
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${d.plural}.${GROUP}`,
      labels: { "app.kubernetes.io/name": "slipway", "app.kubernetes.io/part-of": "slipway" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: d.kind,
        listKind: `${d.kind}List`,
        plural: d.plural,
        singular,
        shortNames: [...d.shortNames],
        categories: ["slipway"],
      },
      scope: d.scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: d.columns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: openApiSchemaFor(kind) },
        },
      ],
    },
  };
}

export const ALL_KINDS: readonly SlipwayKind[] = [
  KIND_ROLLOUT,
  KIND_ANALYSIS_TEMPLATE,
  KIND_CLUSTER_ANALYSIS_TEMPLATE,
];

/** File name under crds/ (kubebuilder naming). */
export function crdFileName(kind: SlipwayKind): string {
  return `${GROUP}_${KINDS[kind].plural}.yaml`;
}
