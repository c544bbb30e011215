// The stable Service and the canary Service (SPEC §5.4). Before the first canary pod exists the stable
// Service's selector is pinned to the stable revision (so nobody reaches a canary pod by accident) and a
// canary Service `<service>-canary` selects the canary revision. Pure planners.
import { CANARY_SUFFIX } from "../api/names.ts";
import { planInPlace, planRestoreInPlace, type Computed, type InPlaceStep } from "./in-place.ts";
import { arrayAt, isObject, objectAt, stringAt, stringMap } from "./json.ts";
import {
  deleteWrite,
  describeRef,
  notOursProblem,
  ownerReference,
  patchWrite,
  refOf,
  savedOriginal,
} from "./objects.ts";
import type {
  JsonObject,
  JsonValue,
  ObjectRef,
  ObservedObject,
  Plan,
  TrafficTarget,
  TrafficWrite,
} from "./types.ts";

const MAX_SERVICE_NAME = 63;

export interface ObservedServices {
  readonly stable: ObservedObject | undefined;
  readonly canary: ObservedObject | undefined;
}

export const canaryServiceName = (service: string): string => `${service}${CANARY_SUFFIX}`;

export function stableServiceRef(target: TrafficTarget): ObjectRef {
  return refOf("Service", "v1", target.namespace, target.routing.service);
}

export function canaryServiceRef(target: TrafficTarget): ObjectRef {
  return refOf("Service", "v1", target.namespace, canaryServiceName(target.routing.service));
}

/** The stable Service's selector before Slipway pinned it (saved original, or the live one before the pin). */
function originalSelector(stable: ObservedObject, target: TrafficTarget): Computed {
  const saved = savedOriginal(stable, stableServiceRef(target));
  if (saved.kind === "corrupt") return { ok: false, problem: saved.problem };
  const selector = saved.kind === "saved" ? saved.value : stable.spec["selector"];
  if (!isObject(selector) || Object.keys(selector).length === 0) {
    return {
      ok: false,
      problem:
        `${describeRef(stableServiceRef(target))} has no spec.selector: traffic routing needs a Service that ` +
        `selects the workload's pods; set trafficRouting.service to such a Service`,
    };
  }
  return { ok: true, value: selector };
}

function withRevision(selector: JsonValue, label: string, revision: string): JsonObject {
  return { ...objectAt(selector), [label]: revision };
}

/** The canary Service: the stable Service's spec minus what the API server allocates or exposes outside. */
export function canaryServiceFrom(
  stable: ObservedObject,
  target: TrafficTarget,
  selector: JsonObject,
): JsonObject {
  const {
    clusterIP,
    clusterIPs: _clusterIPs,
    externalIPs: _externalIPs,
    loadBalancerIP: _loadBalancerIP,
    loadBalancerSourceRanges: _loadBalancerSourceRanges,
    loadBalancerClass: _loadBalancerClass,
    allocateLoadBalancerNodePorts: _allocateLoadBalancerNodePorts,
    externalTrafficPolicy: _externalTrafficPolicy,
    healthCheckNodePort: _healthCheckNodePort,
    externalName: _externalName,
    type: _type,
    ports,
    ...rest
  } = stable.spec;
  const spec: JsonObject = {
    ...rest,
    // A canary only needs an in-cluster address; a copied LoadBalancer would provision a second balancer.
    type: "ClusterIP",
    // Headless stays headless ("None" is a choice, not an allocated address).
    ...(clusterIP === "None" ? { clusterIP: "None" } : {}),
    ...(ports === undefined ? {} : { ports: arrayAt(ports).map(withoutNodePort) }),
    selector,
  };
  const labels = stable.labels;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: canaryServiceName(target.routing.service),
      namespace: target.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ownerReferences: [ownerReference(target.owner)],
    },
    spec,
  };
}

function withoutNodePort(port: JsonValue): JsonValue {
  if (!isObject(port)) return port;
  const { nodePort: _nodePort, ...rest } = port;
  return rest;
}

/** A canary-deployment's revision is known only once its first ReplicaSet exists (after the first batch starts). */
export const canaryKnown = (target: TrafficTarget): boolean => target.canaryRevision !== "";

/**
 * Pin the stable Service to the stable revision and make the canary Service select the canary revision (once
 * that revision is known). One stage: neither change sends traffic anywhere new.
 */
export function planServices(observed: ObservedServices, target: TrafficTarget, pinStable = true): Plan {
  const stableRef = stableServiceRef(target);
  const canaryRef = canaryServiceRef(target);
  if (pinStable && target.stableRevision === "") {
    return {
      kind: "problem",
      problem: `waiting for the stable revision (${target.revisionLabel}) to be known before pinning ${describeRef(stableRef)}`,
    };
  }
  if (canaryRef.name.length > MAX_SERVICE_NAME) {
    return {
      kind: "problem",
      problem: `Service name ${target.routing.service} is too long for its canary Service ${canaryRef.name} (at most ${MAX_SERVICE_NAME} characters): use a Service name of at most ${MAX_SERVICE_NAME - CANARY_SUFFIX.length} characters`,
    };
  }
  const stable = observed.stable;
  if (stable === undefined) {
    return {
      kind: "problem",
      problem: `${describeRef(stableRef)} (trafficRouting.service) not found: create it or fix spec.strategy.canary.trafficRouting.service`,
    };
  }
  const original = originalSelector(stable, target);
  if (!original.ok) return { kind: "problem", problem: original.problem };
  const pin = pinStable
    ? planInPlace(
        {
          ref: stableRef,
          obj: stable,
          path: "/spec/selector",
          current: stable.spec["selector"] ?? null,
          createMissing: true,
          reason: `pin ${describeRef(stableRef)} to the stable revision ${target.stableRevision}`,
        },
        (selector) => ({
          ok: true,
          value: withRevision(selector, target.revisionLabel, target.stableRevision),
        }),
      )
    : unpin(stable, target);
  if ("problem" in pin) return { kind: "problem", problem: pin.problem };
  const canarySelector = withRevision(original.value, target.revisionLabel, target.canaryRevision);
  const canary = canaryKnown(target)
    ? planCanaryService(observed.canary, stable, target, canarySelector)
    : undefined;
  if (typeof canary === "string") return { kind: "problem", problem: canary };
  const writes = [...(canary === undefined ? [] : [canary]), ...(pin.write === undefined ? [] : [pin.write])];
  return { kind: "writes", stages: writes.length > 0 ? [writes] : [] };
}

function planCanaryService(
  canary: ObservedObject | undefined,
  stable: ObservedObject,
  target: TrafficTarget,
  selector: JsonObject,
): TrafficWrite | string | undefined {
  const ref = canaryServiceRef(target);
  if (canary === undefined) {
    return {
      type: "create",
      ref,
      object: canaryServiceFrom(stable, target, selector),
      reason: `create ${describeRef(ref)} selecting the canary revision ${target.canaryRevision}`,
    };
  }
  if (canary.controllerUid !== target.owner.uid) return notOursProblem(ref, target.owner);
  const current = stringMap(canary.spec["selector"]);
  const same =
    Object.keys(current).length === Object.keys(selector).length &&
    Object.entries(selector).every(([k, v]) => current[k] === stringAt(v));
  if (same) return undefined;
  return patchWrite(
    ref,
    canary,
    [{ op: "add", path: "/spec/selector", value: selector }],
    `point ${describeRef(ref)} at the canary revision ${target.canaryRevision}`,
  );
}

function unpin(stable: ObservedObject, target: TrafficTarget): InPlaceStep {
  const ref = stableServiceRef(target);
  return planRestoreInPlace({
    ref,
    obj: stable,
    path: "/spec/selector",
    reason: `un-pin ${describeRef(ref)}: restore its original selector`,
  });
}

/**
 * Un-pin: the stable Service's selector back to exactly what it was — first step of finish (SPEC §5.5), and
 * before a step that moves every pod (the pinned Service would lose all its endpoints).
 */
export function planUnpinStable(stable: ObservedObject | undefined, target: TrafficTarget): Plan {
  if (stable === undefined) return { kind: "writes", stages: [] };
  const restore = unpin(stable, target);
  if ("problem" in restore) return { kind: "problem", problem: restore.problem };
  return { kind: "writes", stages: restore.write === undefined ? [] : [[restore.write]] };
}

/** Delete the canary Service (only the one this Rollout controls). */
export function planDeleteCanaryService(canary: ObservedObject | undefined, target: TrafficTarget): Plan {
  if (canary === undefined || canary.controllerUid !== target.owner.uid)
    return { kind: "writes", stages: [] };
  const ref = canaryServiceRef(target);
  return { kind: "writes", stages: [[deleteWrite(ref, canary, `delete ${describeRef(ref)}`)]] };
}
