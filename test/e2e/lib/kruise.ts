// OpenKruise for the tests that need it. On the local control plane kruise-manager is an addon started on
// demand (built once, then cached); on any other cluster OpenKruise must already be installed.
import { ensureKruise as startKruiseAddon } from "../../cluster/kruise.ts";
import { clients, statusCode } from "./clients.ts";
import { currentCluster } from "./context.ts";
import { podTemplate } from "./manifests.ts";
import type { WorkloadOptions } from "./manifests.ts";

export const KRUISE_API_VERSION = "apps.kruise.io/v1alpha1";
const CLONESET_CRD = "clonesets.apps.kruise.io";

/**
 * Makes sure OpenKruise's CloneSet controller serves the cluster. Locally: starts kruise-manager unless it
 * runs and is ready (its webhook reachable from the API server). Elsewhere: checks that the CloneSet
 * CRD exists and fails with what to install otherwise.
 */
export async function ensureKruise(): Promise<void> {
  if (currentCluster().local) {
    await startKruiseAddon((line) => console.error(`[kruise] ${line}`));
    return;
  }
  try {
    await clients().objects.read({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: CLONESET_CRD },
    });
  } catch (err) {
    if (statusCode(err) === 404)
      throw new Error(
        `the cluster of KUBECONFIG=${currentCluster().kubeconfig} has no CRD ${CLONESET_CRD}; install OpenKruise there (or run the tests against the local control plane)`,
        { cause: err },
      );
    throw err;
  }
}

export interface CloneSetOptions extends WorkloadOptions {
  /** updateStrategy.partition: pods kept at the old revision (integer or percentage). */
  readonly partition?: number | string;
  readonly maxUnavailable?: number | string;
  readonly maxSurge?: number | string;
}

/** A CloneSet (ReCreate updates, kruise's default) whose pods carry `app: <name>`. */
export function cloneSet(o: CloneSetOptions) {
  return {
    apiVersion: KRUISE_API_VERSION,
    kind: "CloneSet",
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: o.name } },
      template: podTemplate(o),
      updateStrategy: {
        type: "ReCreate",
        partition: o.partition,
        maxUnavailable: o.maxUnavailable,
        maxSurge: o.maxSurge,
      },
    },
  };
}
