// The bridge to src/traffic: what the traffic step types need from one reconcile (the routing, the Rollout as
// owner of the canary objects, which revisions) and the traffic I/O of the controller.
import type { EffectiveRolloutSpec } from "../api/defaults.ts";
import { API_VERSION, KIND_ROLLOUT } from "../api/names.ts";
import { revisionLabelFor } from "../traffic/target.ts";
import type { TrafficStepEnv } from "../traffic/step.ts";
import type { TrafficIO } from "../traffic/io.ts";
import type { TrafficTarget } from "../traffic/types.ts";
import type { RolloutObject } from "./io.ts";

export function trafficTargetOf(
  obj: RolloutObject,
  spec: EffectiveRolloutSpec,
  revisions: { readonly stableRevision: string; readonly canaryRevision: string },
): TrafficTarget | { readonly problem: string } {
  if (spec.trafficRouting === null) return { problem: "spec.strategy.canary.trafficRouting is not set" };
  return {
    namespace: obj.rollout.metadata.namespace ?? "",
    routing: spec.trafficRouting,
    owner: { apiVersion: API_VERSION, kind: KIND_ROLLOUT, name: obj.rollout.metadata.name, uid: obj.uid },
    revisionLabel: revisionLabelFor(spec.workloadRef.kind),
    stableRevision: revisions.stableRevision,
    canaryRevision: revisions.canaryRevision,
  };
}

/** The traffic step types' environment; a controller without traffic I/O reports that instead of acting. */
export function trafficStepEnv(
  io: TrafficIO | undefined,
  obj: RolloutObject,
  spec: EffectiveRolloutSpec,
  revisions: { readonly stableRevision: string; readonly canaryRevision: string },
): TrafficStepEnv {
  const unavailable: TrafficIO = {
    get: () => Promise.reject(new Error("this controller has no traffic I/O")),
    apply: () => Promise.reject(new Error("this controller has no traffic I/O")),
    istioVersion: () => Promise.reject(new Error("this controller has no traffic I/O")),
  };
  if (io === undefined)
    return { io: unavailable, target: { problem: "traffic routing is not available in this controller" } };
  return { io, target: trafficTargetOf(obj, spec, revisions) };
}
