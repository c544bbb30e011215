// The traffic room's data model: what a release's traffic routing is about (the target), what a step wants
// (desired weight and matches), what the planners return (ordered stages of preconditioned writes), and the
// one interface every router implements (TrafficProvider). Planners are pure; io.ts is the only I/O.
import type { EffectiveTrafficRouting } from "../api/defaults.ts";
import type { JsonObject, JsonValue } from "../workflow/index.ts";
import type { TrafficIO } from "./io.ts";

export type { JsonObject, JsonValue };

/** The pod label a Service selects a revision by (SPEC §5.4). */
export type RevisionLabel = "pod-template-hash" | "controller-revision-hash";

/** An ownerReference to the Rollout; every object Slipway creates for a release carries it. */
export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** Everything the planners need to know about one release's routing. */
export interface TrafficTarget {
  readonly namespace: string;
  readonly routing: EffectiveTrafficRouting;
  readonly owner: OwnerRef;
  readonly revisionLabel: RevisionLabel;
  readonly stableRevision: string;
  readonly canaryRevision: string;
}

export interface HeaderCondition {
  readonly name: string;
  readonly value: string;
  readonly type: "Exact" | "RegularExpression";
}

/** One match: every header must match (AND). A list of matches is an OR. */
export interface TrafficMatch {
  readonly headers: readonly HeaderCondition[];
}

/** What a step asks of the router: `weight` % of plain traffic plus every request that `matches`. */
export interface DesiredTraffic {
  readonly weight: number;
  readonly matches: readonly TrafficMatch[];
  /**
   * Keep the stable Service pinned to the stable revision (default). False from the step that moves every
   * pod on: with no stable pod left, a pinned Service would have no endpoints while it still carries traffic.
   */
  readonly pinStable?: boolean;
}

export const TO_STABLE: DesiredTraffic = { weight: 0, matches: [] };

/** The kinds the traffic room reads or writes. */
export type TrafficKind = "Service" | "Ingress" | "VirtualService" | "DestinationRule";

export interface ObjectRef {
  readonly kind: TrafficKind;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly name: string;
}

/** RFC 6902 operations the planners use (`add` also replaces an existing member). */
export type PatchOp =
  | { readonly op: "add"; readonly path: string; readonly value: JsonValue }
  | { readonly op: "remove"; readonly path: string };

/**
 * One write. Patches carry the resourceVersion they were computed from (a stale plan gets a 409 and is
 * recomputed from a fresh read); deletes carry the uid, so only the incarnation that was read is deleted.
 */
export type TrafficWrite =
  | { readonly type: "create"; readonly ref: ObjectRef; readonly object: JsonObject; readonly reason: string }
  | {
      readonly type: "patch";
      readonly ref: ObjectRef;
      readonly resourceVersion: string;
      readonly ops: readonly PatchOp[];
      readonly reason: string;
    }
  | { readonly type: "delete"; readonly ref: ObjectRef; readonly uid: string; readonly reason: string };

/**
 * Writes grouped into stages that must take effect in order (a DestinationRule subset before the
 * VirtualService that uses it). A caller applies the first stage that has writes and re-plans later.
 */
export type Stages = readonly (readonly TrafficWrite[])[];

/** A planner's answer: stages to apply, or why nothing can be done (an error a person can act on). */
export type Plan =
  | { readonly kind: "writes"; readonly stages: Stages }
  | { readonly kind: "problem"; readonly problem: string };

export const NOTHING: Plan = { kind: "writes", stages: [] };

/** An object as read from the API server: the JSON as sent, plus the metadata the planners use. */
export interface ObservedObject {
  readonly json: JsonObject;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** uid of the controller ownerReference, if any. */
  readonly controllerUid: string | undefined;
  /** `spec`, or {} when absent. */
  readonly spec: JsonObject;
}

export interface EnsureOptions {
  /**
   * Create what is missing (canary Ingress, saved original) — true for a step. False for "route to
   * stable": only what Slipway already changed is touched, so an abort before the first change writes nothing.
   */
  readonly createMissing: boolean;
}

/**
 * One router (nginx, Istio, ...). `observe` reads; the planners are pure functions of what it read, the
 * target and the desired state, computed from the saved original and never from the last written state,
 * so running one twice gives no writes the second time.
 */
export interface TrafficProvider<Observed> {
  readonly name: string;
  /** Whether traffic is split by Services (stable pinned + canary Service) rather than by pod labels. */
  usesServices(target: TrafficTarget): boolean;
  observe(io: TrafficIO, target: TrafficTarget): Promise<Observed>;
  planEnsure(
    observed: Observed,
    target: TrafficTarget,
    desired: DesiredTraffic,
    options: EnsureOptions,
  ): Plan;
  /** Back to exactly what the user had; objects Slipway created are deleted. */
  planRestore(observed: Observed, target: TrafficTarget): Plan;
}
