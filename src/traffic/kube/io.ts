// TrafficIO over the API server (src/kube). Reads go straight to the server (a handful of small objects per
// reconcile, always fresh, so a plan is never computed from a stale cache); writes are preconditioned.
import type { ApiTransport } from "../../kube/client.ts";
import { isApiError, isAlreadyExists, isConflict, isNotFound } from "../../kube/errors.ts";
import { jsonPatch, type JsonPatchOp } from "../../kube/patch.ts";
import { collectionPath, objectPath, type ResourceRef } from "../../kube/resources.ts";
import { ISTIO_GROUP, pickIstioVersion, type ApplyResult, type TrafficIO } from "../io.ts";
import { observedFrom } from "../objects.ts";
import type { JsonValue, ObjectRef, ObservedObject, TrafficKind, TrafficWrite } from "../types.ts";

const PLURALS: Readonly<Record<TrafficKind, string>> = {
  Service: "services",
  Ingress: "ingresses",
  VirtualService: "virtualservices",
  DestinationRule: "destinationrules",
};

export function resourceOf(ref: ObjectRef): ResourceRef {
  const slash = ref.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : ref.apiVersion.slice(0, slash);
  const version = slash < 0 ? ref.apiVersion : ref.apiVersion.slice(slash + 1);
  return { group, version, plural: PLURALS[ref.kind], namespaced: true };
}

export interface KubeTrafficIOOptions {
  /** Use this networking.istio.io version instead of discovering it (tests of one version). */
  readonly istioVersion?: string;
  readonly fieldManager?: string;
  /** How long a discovered Istio version is trusted. Default 60 s. */
  readonly discoveryTtlMs?: number;
  readonly now?: () => number;
}

interface ApiGroup {
  readonly versions?: readonly { readonly version?: string }[];
}

export class KubeTrafficIO implements TrafficIO {
  readonly #transport: ApiTransport;
  readonly #options: KubeTrafficIOOptions;
  #discovered: { readonly at: number; readonly version: string | undefined } | undefined;

  constructor(transport: ApiTransport, options: KubeTrafficIOOptions = {}) {
    this.#transport = transport;
    this.#options = options;
  }

  async get(ref: ObjectRef): Promise<ObservedObject | undefined> {
    try {
      const json = await this.#transport.request<JsonValue>({
        method: "GET",
        path: objectPath(resourceOf(ref), ref.name, ref.namespace),
      });
      return observedFrom(json);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async apply(write: TrafficWrite): Promise<ApplyResult> {
    const resource = resourceOf(write.ref);
    const fieldManager = this.#options.fieldManager ?? "slipway";
    try {
      switch (write.type) {
        case "create":
          await this.#transport.request({
            method: "POST",
            path: collectionPath(resource, write.ref.namespace),
            query: { fieldManager },
            body: write.object,
          });
          return "ok";
        case "patch": {
          // Setting resourceVersion in the patch makes it conditional: 409 if the object moved on.
          const ops: JsonPatchOp[] = [
            { op: "replace", path: "/metadata/resourceVersion", value: write.resourceVersion },
            ...write.ops,
          ];
          await jsonPatch(
            this.#transport,
            { resource, name: write.ref.name, namespace: write.ref.namespace },
            ops,
            {
              fieldManager,
            },
          );
          return "ok";
        }
        case "delete":
          await this.#transport.request({
            method: "DELETE",
            path: objectPath(resource, write.ref.name, write.ref.namespace),
            body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: write.uid } },
          });
          return "ok";
        default: {
          const unknown: never = write;
          throw new Error(`unknown traffic write ${JSON.stringify(unknown)}`);
        }
      }
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return "conflict";
      if (isNotFound(err)) return "gone";
      // A delete precondition on a uid that no longer matches: another incarnation; re-read.
      if (isApiError(err) && err.status === 409) return "conflict";
      throw err;
    }
  }

  async istioVersion(): Promise<string | undefined> {
    if (this.#options.istioVersion !== undefined) return this.#options.istioVersion;
    const now = (this.#options.now ?? Date.now)();
    const ttl = this.#options.discoveryTtlMs ?? 60_000;
    if (this.#discovered !== undefined && now - this.#discovered.at < ttl) return this.#discovered.version;
    let version: string | undefined;
    try {
      const group = await this.#transport.request<ApiGroup>({ method: "GET", path: `/apis/${ISTIO_GROUP}` });
      version = pickIstioVersion((group.versions ?? []).map((v) => v.version ?? ""));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#discovered = { at: now, version };
    return version;
  }
}
