// Where a kind lives on the API server, and the minimal object shape the edge code relies on.
// Paths are built here once so informers, patches, events and the lease all agree on them.

import {
  GROUP,
  PLURAL_ANALYSIS_TEMPLATES,
  PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
  PLURAL_ROLLOUTS,
  VERSION,
} from "../api/names.ts";

/** A resource type on the API server. `group` is "" for the core group (`/api/v1`). */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
  readonly managedFields?: unknown;
  readonly [field: string]: unknown;
}

/** Any Kubernetes object as it arrives on the wire. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items: readonly T[];
}

export const CONFIGMAPS: ResourceRef = { group: "", version: "v1", plural: "configmaps", namespaced: true };
export const PODS: ResourceRef = { group: "", version: "v1", plural: "pods", namespaced: true };
export const SERVICES: ResourceRef = { group: "", version: "v1", plural: "services", namespaced: true };
export const NAMESPACES: ResourceRef = { group: "", version: "v1", plural: "namespaces", namespaced: false };
export const DEPLOYMENTS: ResourceRef = {
  group: "apps",
  version: "v1",
  plural: "deployments",
  namespaced: true,
};
export const REPLICASETS: ResourceRef = {
  group: "apps",
  version: "v1",
  plural: "replicasets",
  namespaced: true,
};
export const STATEFULSETS: ResourceRef = {
  group: "apps",
  version: "v1",
  plural: "statefulsets",
  namespaced: true,
};
/** OpenKruise CloneSets: served only where OpenKruise is installed. */
export const CLONESETS: ResourceRef = {
  group: "apps.kruise.io",
  version: "v1alpha1",
  plural: "clonesets",
  namespaced: true,
};
export const CONTROLLER_REVISIONS: ResourceRef = {
  group: "apps",
  version: "v1",
  plural: "controllerrevisions",
  namespaced: true,
};
export const LEASES: ResourceRef = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  namespaced: true,
};
export const EVENTS: ResourceRef = {
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  namespaced: true,
};
export const ROLLOUTS: ResourceRef = {
  group: GROUP,
  version: VERSION,
  plural: PLURAL_ROLLOUTS,
  namespaced: true,
};
export const ANALYSIS_TEMPLATES: ResourceRef = {
  group: GROUP,
  version: VERSION,
  plural: PLURAL_ANALYSIS_TEMPLATES,
  namespaced: true,
};
export const CLUSTER_ANALYSIS_TEMPLATES: ResourceRef = {
  group: GROUP,
  version: VERSION,
  plural: PLURAL_CLUSTER_ANALYSIS_TEMPLATES,
  namespaced: false,
};

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(resource: ResourceRef): string {
  return resource.group === "" ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
}

/** The collection path: all namespaces when `namespace` is undefined (or the resource is cluster-scoped). */
export function collectionPath(resource: ResourceRef, namespace?: string): string {
  const base = groupVersionPath(resource);
  if (resource.namespaced && namespace !== undefined && namespace !== "") {
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`;
  }
  return `${base}/${resource.plural}`;
}

/** The path of one object, optionally of one of its subresources (`status`, `scale`). */
export function objectPath(
  resource: ResourceRef,
  name: string,
  namespace?: string,
  subresource?: "status" | "scale",
): string {
  if (resource.namespaced && (namespace === undefined || namespace === "")) {
    throw new Error(
      `${resource.plural} "${name}" is namespaced but no namespace was given; pass the object's metadata.namespace`,
    );
  }
  const path = `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
  return subresource === undefined ? path : `${path}/${subresource}`;
}

/** `apiVersion` as objects of this resource carry it. */
export function apiVersionOf(resource: ResourceRef): string {
  return resource.group === "" ? resource.version : `${resource.group}/${resource.version}`;
}

/** The store key client-go uses: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? "";
  const namespace = obj.metadata?.namespace;
  return namespace === undefined || namespace === "" ? name : `${namespace}/${name}`;
}

/** Splits a store key back into namespace and name. */
export function splitKey(key: string): { readonly namespace: string | undefined; readonly name: string } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
