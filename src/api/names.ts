// Names that are part of Slipway's contract (SPEC.md). Every room imports them from here.

export const GROUP = "rollouts.slipway.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const KIND_ROLLOUT = "Rollout";
export const KIND_ANALYSIS_TEMPLATE = "AnalysisTemplate";
export const KIND_CLUSTER_ANALYSIS_TEMPLATE = "ClusterAnalysisTemplate";
export const PLURAL_ROLLOUTS = "rollouts";
export const PLURAL_ANALYSIS_TEMPLATES = "analysistemplates";
export const PLURAL_CLUSTER_ANALYSIS_TEMPLATES = "clusteranalysistemplates";

/** Label on an attached workload; value: the Rollout name. Selects workloads for the mutating webhook. */
export const LABEL_MANAGED_BY = `${GROUP}/managed-by`;
/** Saved native rollout settings of a held workload (JSON), written once per release. */
export const ANNOTATION_ORIGINAL = `${GROUP}/original`;
/** `{rollout, stableRevision, canaryTemplateHash, startedAt}` of the release in progress. */
export const ANNOTATION_RELEASE = `${GROUP}/release`;

/** Human actions (annotations on the Rollout). */
export const ANNOTATION_APPROVE = `${GROUP}/approve`;
export const ANNOTATION_ABORT = `${GROUP}/abort`;
export const ANNOTATION_RETRY = `${GROUP}/retry`;
export const ANNOTATION_PROMOTE = `${GROUP}/promote`;
export const ANNOTATION_APPROVED_BY = `${GROUP}/approved-by`;

export const FINALIZER_CLEANUP = `${GROUP}/cleanup`;

/** Names of the webhook configurations Slipway creates or updates. */
export const WEBHOOK_CONFIGURATION_NAME = "slipway";
export const WEBHOOK_CERT_SECRET = "slipway-webhook-certs";

/** Test-only pod behaviour label understood by the local control plane's kwok stages. */
export const LABEL_TEST_BEHAVIOR = "slipway.dev/test-behavior";

/**
 * On a user's traffic object Slipway changes in place (the stable Service's selector, a VirtualService's or
 * DestinationRule's spec): JSON of the part as it was before the first change. Written once, read by every
 * later change (all computed from it) and by the restore, which puts it back and removes the annotation.
 */
export const ANNOTATION_TRAFFIC_ORIGINAL = `${GROUP}/traffic-original`;

/** Suffix of the canary Service (`<service>-canary`) and canary Ingress (`<ingress>-canary`). */
export const CANARY_SUFFIX = "-canary";
