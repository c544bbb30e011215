// AnalysisTemplate and ClusterAnalysisTemplate (SPEC.md §2.2): one spec, two kinds.
// successCondition/failureCondition are CEL; a CRD cannot compile user CEL, so they are type-checked by
// checkAnalysisCondition (condition.ts) in the webhook, the controller and `slipway lint`.
import { z } from "zod";
import { RULES } from "./cel-rules.ts";
import {
  apiVersionField,
  ConditionSchema,
  CONDITIONS_LIST_META,
  celRules,
  generation,
  int,
  LIST_MAP_BY_NAME,
  list,
  ObjectMetaSchema,
  objectName,
  oneOf,
  requiredOr,
  text,
  type DeepReadonly,
} from "./common.ts";
import { KIND_ANALYSIS_TEMPLATE, KIND_CLUSTER_ANALYSIS_TEMPLATE } from "./names.ts";
import { intOrString } from "./primitives.ts";

export const NO_DATA_POLICIES = ["Inconclusive", "Fail", "Pass"] as const;
export const ON_ERROR_POLICIES = ["Inconclusive", "Fail"] as const;
/** Longest CEL condition accepted; keeps parsing cheap. */
export const MAX_CONDITION_LENGTH = 2048;

export const TemplateArgSchema = z.strictObject({
  name: text("argument name, used as {{args.<name>}} and args.<name>", 253, 1),
  value: text("default value; without it the Rollout must pass the argument", 1024).optional(),
});

export const PrometheusHeaderSchema = z
  .strictObject({
    name: text("HTTP header name", 256, 1),
    value: text("header value", 4096).optional(),
    valueFrom: z
      .strictObject({
        secretKeyRef: z.strictObject({
          name: objectName(
            "Secret in the namespace of the Rollout (or Slipway's namespace for cluster templates)",
          ),
          key: text("key in the Secret", 253, 1),
        }),
      })
      .optional(),
  })
  .meta(celRules(RULES.header));

export const PrometheusProviderSchema = z.strictObject({
  address: z
    .string({ error: requiredOr("must be a string") })
    .max(2048, "must be at most 2048 characters")
    .regex(
      /^https?:\/\/[^\s]+$/,
      "must be an http:// or https:// URL such as http://prometheus.monitoring:9090",
    )
    .describe("base URL of the Prometheus HTTP API"),
  query: text(
    "PromQL query; {{args.x}}, {{canary.revision}}, {{stable.revision}}, {{rollout.name}} are substituted",
    8192,
    1,
  ),
  timeout: intOrString('query timeout ("10s"; default 10s)')
    .meta(celRules(RULES.prometheusTimeout))
    .optional(),
  headers: list("extra HTTP headers", PrometheusHeaderSchema, 16).optional(),
});

export const MetricProviderSchema = z.strictObject({ prometheus: PrometheusProviderSchema });

const condition = (what: string) =>
  text(what, MAX_CONDITION_LENGTH, 1).describe(`${what} (CEL over result, args, canary, stable, rollout)`);

export const MetricSchema = z
  .strictObject({
    name: text("metric name", 253, 1),
    provider: MetricProviderSchema,
    initialDelay: intOrString("wait before the first measurement (default 0s)")
      .meta(celRules(RULES.metricInitialDelay))
      .optional(),
    interval: intOrString("time between measurements (default 30s)")
      .meta(celRules(RULES.metricInterval))
      .optional(),
    count: int(
      "measurements in a step gate (default 1); background analysis measures until the end",
      1,
      1000,
    ).optional(),
    successCondition: condition("successCondition").optional(),
    failureCondition: condition("failureCondition").optional(),
    failureLimit: int("failed measurements tolerated (default 0)", 0).optional(),
    inconclusiveLimit: int("inconclusive measurements tolerated (default 0)", 0).optional(),
    consecutiveErrorLimit: int("query errors in a row tolerated (default 4)", 0).optional(),
    noData: oneOf(
      "outcome for an empty vector, NaN or Inf (default Inconclusive)",
      NO_DATA_POLICIES,
    ).optional(),
    onError: oneOf(
      "outcome once consecutiveErrorLimit is exceeded (default Inconclusive)",
      ON_ERROR_POLICIES,
    ).optional(),
  })
  .meta(celRules(RULES.metric));

export const AnalysisTemplateSpecSchema = z.strictObject({
  args: list("arguments of the template", TemplateArgSchema, 32).meta(LIST_MAP_BY_NAME).optional(),
  metrics: list("metrics measured by the template", MetricSchema, 16, 1).meta(LIST_MAP_BY_NAME),
});

export const AnalysisTemplateStatusSchema = z.strictObject({
  observedGeneration: generation("generation last checked").optional(),
  conditions: list("metav1.Conditions", ConditionSchema, 8).meta(CONDITIONS_LIST_META).optional(),
});

function templateSchema<const K extends string>(kind: K) {
  return z.strictObject({
    apiVersion: apiVersionField(),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec: AnalysisTemplateSpecSchema,
    status: AnalysisTemplateStatusSchema.optional(),
  });
}

export const AnalysisTemplateSchema = templateSchema(KIND_ANALYSIS_TEMPLATE);
export const ClusterAnalysisTemplateSchema = templateSchema(KIND_CLUSTER_ANALYSIS_TEMPLATE);

export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];
export type OnErrorPolicy = (typeof ON_ERROR_POLICIES)[number];
export type TemplateArg = DeepReadonly<z.infer<typeof TemplateArgSchema>>;
export type PrometheusHeader = DeepReadonly<z.infer<typeof PrometheusHeaderSchema>>;
export type PrometheusProvider = DeepReadonly<z.infer<typeof PrometheusProviderSchema>>;
export type Metric = DeepReadonly<z.infer<typeof MetricSchema>>;
export type AnalysisTemplateSpec = DeepReadonly<z.infer<typeof AnalysisTemplateSpecSchema>>;
export type AnalysisTemplateStatus = DeepReadonly<z.infer<typeof AnalysisTemplateStatusSchema>>;
export type AnalysisTemplate = DeepReadonly<z.infer<typeof AnalysisTemplateSchema>>;
export type ClusterAnalysisTemplate = DeepReadonly<z.infer<typeof ClusterAnalysisTemplateSchema>>;
