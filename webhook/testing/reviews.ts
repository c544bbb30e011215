// Test support: AdmissionReview requests as the API server sends them.

import { randomUUID } from "node:crypto";
import { ADMISSION_API_VERSION } from "../admission-review.ts";

const RESOURCES: Readonly<Record<string, { group: string; version: string; resource: string }>> = {
  Deployment: { group: "apps", version: "v1", resource: "deployments" },
  StatefulSet: { group: "apps", version: "v1", resource: "statefulsets" },
  CloneSet: { group: "apps.kruise.io", version: "v1alpha1", resource: "clonesets" },
  Rollout: { group: "rollouts.slipway.dev", version: "v1alpha1", resource: "rollouts" },
  AnalysisTemplate: { group: "rollouts.slipway.dev", version: "v1alpha1", resource: "analysistemplates" },
};

export interface ReviewOptions {
  readonly operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  readonly username?: string;
  readonly subResource?: string;
  readonly uid?: string;
}

export function admissionReview(
  kind: string,
  oldObject: unknown,
  object: unknown,
  options: ReviewOptions = {},
): { apiVersion: string; kind: string; request: Record<string, unknown> } {
  const resource = RESOURCES[kind] ?? { group: "", version: "v1", resource: `${kind.toLowerCase()}s` };
  const meta = (object ?? oldObject) as { metadata?: { name?: string; namespace?: string } } | undefined;
  return {
    apiVersion: ADMISSION_API_VERSION,
    kind: "AdmissionReview",
    request: {
      uid: options.uid ?? randomUUID(),
      kind: { group: resource.group, version: resource.version, kind },
      resource,
      requestKind: { group: resource.group, version: resource.version, kind },
      requestResource: resource,
      ...(options.subResource === undefined ? {} : { subResource: options.subResource }),
      name: meta?.metadata?.name,
      namespace: meta?.metadata?.namespace,
      operation: options.operation ?? "UPDATE",
      userInfo: { username: options.username ?? "alice", uid: "u-1", groups: ["system:authenticated"] },
      object,
      oldObject,
      dryRun: false,
      options: { apiVersion: "meta.k8s.io/v1", kind: "UpdateOptions" },
    },
  };
}
