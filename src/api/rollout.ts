// The Rollout resource (SPEC.md §2.1): zod schemas, and the TypeScript types inferred from them.
// Defaults are not part of these schemas (see defaults.ts and docs/decisions/api-defaults-in-code.md).
import { z } from "zod";
import { RULES } from "./cel-rules.ts";
import {
  apiVersionField,
  bool,
  celRules,
  int,
  LIST_MAP_BY_NAME,
  list,
  ObjectMetaSchema,
  objectName,
  oneOf,
  serviceName,
  text,
  type DeepReadonly,
} from "./common.ts";
import { KIND_ROLLOUT } from "./names.ts";
import { intOrString } from "./primitives.ts";
import { RolloutStatusSchema } from "./rollout-status.ts";

/** Upper bounds that keep status compact and the CRD's CEL rules within the API server's cost budget. */
export const LIMITS = { steps: 50, matches: 8, headers: 16, templates: 10, args: 32, routes: 16 } as const;

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "CloneSet"] as const;
export const DEPLOYMENT_STYLES = ["partition", "canary-deployment"] as const;
export const ON_FAILURE = ["abort", "pause"] as const;
export const MATCH_TYPES = ["Exact", "RegularExpression"] as const;

export const WorkloadRefSchema = z
  .strictObject({
    apiVersion: text("apiVersion of the workload: apps/v1 or apps.kruise.io/v1alpha1", 64, 1),
    kind: oneOf("kind of the workload", WORKLOAD_KINDS),
    name: objectName("name of the workload, in the Rollout's namespace"),
  })
  .describe("The workload this Rollout releases (same namespace). Immutable.")
  .meta(celRules(RULES.workloadRef));

export const HeaderMatchSchema = z.strictObject({
  name: text("header name", 256, 1),
  value: text("header value (or a regular expression with type RegularExpression)", 1024),
  type: oneOf("how value is compared: Exact (default) or RegularExpression", MATCH_TYPES).optional(),
});

export const TrafficMatchSchema = z
  .strictObject({
    headers: list("headers that must all match (AND)", HeaderMatchSchema, LIMITS.headers, 1),
  })
  .describe("A request matches when all of its headers match.");

export const AnalysisTemplateRefSchema = z.strictObject({
  name: objectName("name of the AnalysisTemplate (or ClusterAnalysisTemplate with clusterScope: true)"),
  clusterScope: bool("true to use a ClusterAnalysisTemplate instead of an AnalysisTemplate").optional(),
});

export const AnalysisArgSchema = z.strictObject({
  name: text("argument name", 253, 1),
  value: text("argument value", 1024),
});

const templates = () =>
  list("analysis templates to run", AnalysisTemplateRefSchema, LIMITS.templates, 1).meta(LIST_MAP_BY_NAME);
const args = () =>
  list("arguments passed to the templates", AnalysisArgSchema, LIMITS.args).meta(LIST_MAP_BY_NAME).optional();

export const StepAnalysisSchema = z
  .strictObject({ templates: templates(), args: args() })
  .describe("Metric gates of this step; the step continues only when every template succeeds.");

export const StepPauseSchema = z
  .strictObject({
    duration: intOrString('wait this long ("30s", "10m", "1h" or whole seconds); absent: wait for approval')
      .meta(celRules(RULES.pauseDuration))
      .optional(),
  })
  .describe("{} waits for approval; {duration: D} waits D. Absent: no pause.");

export const CanaryStepSchema = z.strictObject({
  replicas: intOrString(
    'pods on the canary revision: an integer or a percentage of spec.replicas ("50%")',
  ).meta(celRules(RULES.stepReplicas)),
  traffic: text('share of traffic sent to the canary ("5%"); needs trafficRouting', 4)
    .meta(celRules(RULES.traffic))
    .optional(),
  matches: list(
    "requests routed to the canary regardless of weight (OR across items); needs trafficRouting",
    TrafficMatchSchema,
    LIMITS.matches,
    1,
  ).optional(),
  analysis: StepAnalysisSchema.optional(),
  pause: StepPauseSchema.optional(),
});

export const NginxRoutingSchema = z.strictObject({
  ingress: objectName("the stable Ingress whose backend is the stable Service"),
});

export const IstioRoutingSchema = z.strictObject({
  virtualService: z.strictObject({
    name: objectName("the VirtualService routing to the stable Service"),
    routes: list(
      "names of the HTTP routes to shift (default: every route whose destination is the stable Service)",
      text("route name", 256, 1),
      LIMITS.routes,
      1,
    ).optional(),
  }),
  destinationRule: z
    .strictObject({
      name: objectName("the DestinationRule of the stable Service"),
      stableSubset: text("subset selecting the stable revision", 253, 1),
      canarySubset: text("subset selecting the canary revision", 253, 1),
    })
    .describe("Route by DestinationRule subsets instead of the canary Service.")
    .optional(),
});

export const TrafficRoutingSchema = z
  .strictObject({
    service: serviceName("the stable Service"),
    gracePeriodSeconds: int("seconds to wait after each traffic change", 0, 3600).optional(),
    nginx: NginxRoutingSchema.optional(),
    istio: IstioRoutingSchema.optional(),
  })
  .meta(celRules(RULES.trafficRouting));

export const BackgroundAnalysisSchema = z.strictObject({
  templates: templates(),
  args: args(),
  startingStep: int("1-based step from which the background analysis runs (default 1)", 1).optional(),
});

export const CanaryStrategySchema = z
  .strictObject({
    deploymentStyle: oneOf(
      "Deployment only: partition (default) or canary-deployment",
      DEPLOYMENT_STYLES,
    ).optional(),
    failureThreshold: intOrString('new pods allowed to be unready when a batch counts as ready (int or "N%")')
      .meta(celRules(RULES.failureThreshold))
      .optional(),
    progressDeadlineSeconds: int("seconds a batch may take to become ready (default 600)", 1).optional(),
    onFailure: oneOf("what a failure does: abort (default) or pause", ON_FAILURE).optional(),
    steps: list("the release steps, in order", CanaryStepSchema, LIMITS.steps, 1).meta(celRules(RULES.steps)),
    trafficRouting: TrafficRoutingSchema.optional(),
    analysis: BackgroundAnalysisSchema.describe("runs from startingStep until the release ends").optional(),
  })
  .meta(celRules(RULES.canary));

export const RolloutStrategySchema = z.strictObject({ canary: CanaryStrategySchema });

export const RolloutSpecSchema = z
  .strictObject({
    workloadRef: WorkloadRefSchema,
    paused: bool("freezes progression (not the workload); resume by setting false").optional(),
    disabled: bool("detach: finish or clean up any release and stop intercepting").optional(),
    ignoreTemplateKeys: list(
      "pod template label/annotation keys whose changes do not start a release",
      text("key", 317, 1),
      64,
    ).optional(),
    strategy: RolloutStrategySchema,
  })
  .meta(celRules(RULES.rolloutSpec));

export const RolloutSchema = z.strictObject({
  apiVersion: apiVersionField(),
  kind: z.literal(KIND_ROLLOUT),
  metadata: ObjectMetaSchema,
  spec: RolloutSpecSchema,
  status: RolloutStatusSchema.optional(),
});

export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];
export type DeploymentStyle = (typeof DEPLOYMENT_STYLES)[number];
export type OnFailure = (typeof ON_FAILURE)[number];
export type WorkloadRef = DeepReadonly<z.infer<typeof WorkloadRefSchema>>;
export type HeaderMatch = DeepReadonly<z.infer<typeof HeaderMatchSchema>>;
export type TrafficMatch = DeepReadonly<z.infer<typeof TrafficMatchSchema>>;
export type AnalysisTemplateRef = DeepReadonly<z.infer<typeof AnalysisTemplateRefSchema>>;
export type AnalysisArg = DeepReadonly<z.infer<typeof AnalysisArgSchema>>;
export type StepAnalysis = DeepReadonly<z.infer<typeof StepAnalysisSchema>>;
export type StepPause = DeepReadonly<z.infer<typeof StepPauseSchema>>;
export type CanaryStep = DeepReadonly<z.infer<typeof CanaryStepSchema>>;
export type NginxRouting = DeepReadonly<z.infer<typeof NginxRoutingSchema>>;
export type IstioRouting = DeepReadonly<z.infer<typeof IstioRoutingSchema>>;
export type TrafficRouting = DeepReadonly<z.infer<typeof TrafficRoutingSchema>>;
export type BackgroundAnalysis = DeepReadonly<z.infer<typeof BackgroundAnalysisSchema>>;
export type CanaryStrategy = DeepReadonly<z.infer<typeof CanaryStrategySchema>>;
export type RolloutSpec = DeepReadonly<z.infer<typeof RolloutSpecSchema>>;
export type Rollout = DeepReadonly<z.infer<typeof RolloutSchema>>;
