// The `slipway` Mutating/ValidatingWebhookConfigurations (SPEC §4.1, §4.2), built from where the webhook
// is reachable and the CA bundle. Local mode registers them as built here; in a cluster the Helm chart
// installs the same content and Slipway only patches their caBundle (configuration-patch.ts).

import {
  GROUP,
  LABEL_MANAGED_BY,
  PLURAL_ANALYSIS_TEMPLATES,
  PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
  PLURAL_ROLLOUTS,
  VERSION,
  WEBHOOK_CONFIGURATION_NAME,
} from "../src/api/names.ts";
import { PATHS } from "./paths.ts";

export type WebhookEndpoint =
  /** Local mode: the API server calls `https://127.0.0.1:PORT/...` directly (never a Service here). */
  | { readonly type: "url"; readonly baseUrl: string }
  | { readonly type: "service"; readonly namespace: string; readonly name: string; readonly port: number };

export interface ConfigurationInput {
  readonly endpoint: WebhookEndpoint;
  /** PEM CA certificates; base64-encoded into caBundle. Undefined keeps what is there (cert-manager). */
  readonly caBundle: string | undefined;
  /** Slipway's own namespace, never intercepted (so Slipway can always repair itself). */
  readonly namespace: string;
}

type Json = Record<string, unknown>;

const TIMEOUT_SECONDS = 5;
/** Deleting objects only wait for finalizers; blocking them would strand a deletion while Slipway is down. */
const NOT_DELETING = [{ name: "not-deleting", expression: "!has(object.metadata.deletionTimestamp)" }];

function clientConfig(input: ConfigurationInput, path: string): Json {
  const caBundle =
    input.caBundle === undefined ? {} : { caBundle: Buffer.from(input.caBundle).toString("base64") };
  const endpoint = input.endpoint;
  if (endpoint.type === "url") return { url: `${endpoint.baseUrl.replace(/\/+$/, "")}${path}`, ...caBundle };
  return {
    service: { namespace: endpoint.namespace, name: endpoint.name, port: endpoint.port, path },
    ...caBundle,
  };
}

const common = {
  admissionReviewVersions: ["v1"],
  sideEffects: "None",
  timeoutSeconds: TIMEOUT_SECONDS,
  failurePolicy: "Fail",
  matchPolicy: "Equivalent",
  matchConditions: NOT_DELETING,
};

const rolloutRules = [
  {
    apiGroups: [GROUP],
    apiVersions: [VERSION],
    operations: ["CREATE", "UPDATE"],
    resources: [PLURAL_ROLLOUTS],
    scope: "Namespaced",
  },
];

export function mutatingConfiguration(input: ConfigurationInput): Json {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels: { "app.kubernetes.io/name": "slipway" } },
    webhooks: [
      {
        name: `workloads.${GROUP}`,
        clientConfig: clientConfig(input, PATHS.mutateWorkload),
        rules: [
          {
            apiGroups: ["apps"],
            apiVersions: ["v1"],
            operations: ["UPDATE"],
            resources: ["deployments", "statefulsets"],
            scope: "Namespaced",
          },
          {
            apiGroups: ["apps.kruise.io"],
            apiVersions: ["v1alpha1"],
            operations: ["UPDATE"],
            resources: ["clonesets"],
            scope: "Namespaced",
          },
        ],
        objectSelector: { matchExpressions: [{ key: LABEL_MANAGED_BY, operator: "Exists" }] },
        namespaceSelector: {
          matchExpressions: [
            {
              key: "kubernetes.io/metadata.name",
              operator: "NotIn",
              values: ["kube-system", input.namespace],
            },
          ],
        },
        // The hold is idempotent; run again if a later mutating webhook edits the workload.
        reinvocationPolicy: "IfNeeded",
        ...common,
      },
      {
        name: `rollouts.${GROUP}`,
        clientConfig: clientConfig(input, PATHS.mutateRollout),
        rules: rolloutRules,
        reinvocationPolicy: "Never",
        ...common,
      },
    ],
  };
}

export function validatingConfiguration(input: ConfigurationInput): Json {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels: { "app.kubernetes.io/name": "slipway" } },
    webhooks: [
      {
        name: `rollouts.${GROUP}`,
        clientConfig: clientConfig(input, PATHS.validateRollout),
        rules: [
          ...rolloutRules,
          {
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            operations: ["CREATE", "UPDATE"],
            resources: [PLURAL_ANALYSIS_TEMPLATES, PLURAL_CLUSTER_ANALYSIS_TEMPLATES],
            scope: "*",
          },
        ],
        ...common,
      },
    ],
  };
}
