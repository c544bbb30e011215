// The traffic room's only I/O: read an object, apply one write, and ask which Istio API version is served.
// kube/io.ts backs it with the API server; testing/fake-io.ts with an in-memory store.
import type { ObjectRef, ObservedObject, TrafficWrite } from "./types.ts";

/** `conflict`: the object moved on since it was read (or was created meanwhile); `gone`: it no longer exists. */
export type ApplyResult = "ok" | "conflict" | "gone";

/** Versions of networking.istio.io Slipway speaks, best first (their VirtualService/DestinationRule specs are the same). */
export const ISTIO_VERSIONS = ["v1", "v1beta1", "v1alpha3"] as const;
export const ISTIO_GROUP = "networking.istio.io";

export interface TrafficIO {
  /** undefined when the object does not exist. */
  get(ref: ObjectRef): Promise<ObservedObject | undefined>;
  apply(write: TrafficWrite): Promise<ApplyResult>;
  /** The best served version of networking.istio.io, undefined when Istio's API is not installed. */
  istioVersion(): Promise<string | undefined>;
}

/** Picks the best version Slipway speaks among those the API server serves. */
export function pickIstioVersion(served: readonly string[]): string | undefined {
  return ISTIO_VERSIONS.find((v) => served.includes(v));
}
