// KubeConfig and API clients for the admin and for the non-admin test users.
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  VersionApi,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { TestUser } from "../../cluster/config.ts";
import { currentCluster } from "./context.ts";

export type Identity = "admin" | TestUser;

/**
 * The KubeConfig for `identity`. On the local cluster, alice and bob authenticate with their own
 * bearer tokens; on any other cluster the admin impersonates them (same RBAC outcome).
 */
export function kubeConfig(identity: Identity = "admin"): KubeConfig {
  const cluster = currentCluster();
  const kc = new KubeConfig();
  if (identity === "admin") {
    kc.loadFromFile(cluster.kubeconfig);
    return kc;
  }
  const own = cluster.userKubeconfigs?.[identity];
  if (own !== undefined) {
    kc.loadFromFile(own);
    return kc;
  }
  const admin = new KubeConfig();
  admin.loadFromFile(cluster.kubeconfig);
  const user = admin.getCurrentUser();
  const ctx = admin.getContextObject(admin.getCurrentContext());
  if (!user || !ctx) throw new Error(`kubeconfig ${cluster.kubeconfig} has no current user/context`);
  kc.loadFromOptions({
    clusters: admin.getClusters(),
    users: [{ ...user, name: identity, impersonateUser: identity }],
    contexts: [{ ...ctx, name: identity, user: identity }],
    currentContext: identity,
  });
  return kc;
}

export interface Clients {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly admission: AdmissionregistrationV1Api;
  readonly version: VersionApi;
  /** Generic CRUD for any kind, including custom resources. */
  readonly objects: KubernetesObjectApi;
}

const cache = new Map<Identity, Clients>();

export function clients(identity: Identity = "admin"): Clients {
  const hit = cache.get(identity);
  if (hit) return hit;
  const kc = kubeConfig(identity);
  const made: Clients = {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    version: kc.makeApiClient(VersionApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
  cache.set(identity, made);
  return made;
}

/** Request options for `patch*` calls: `apps.patchNamespacedDeployment({...}, mergePatch)`. */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
export const strategicMergePatch = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
export const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

/** The HTTP status of a client-node ApiException (or undefined for other errors). */
export function statusCode(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "number")
    return err.code;
  return undefined;
}
