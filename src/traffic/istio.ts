// Istio (SPEC §5.4): the user's VirtualService (and, in subset mode, DestinationRule) changed in place, the
// original spec saved on each object and restored exactly at the end. Order: a subset exists before the
// VirtualService routes to it, and the VirtualService lets go of it before it is removed.
import { planInPlace, planRestoreInPlace, stagedPlan, type InPlaceStep } from "./in-place.ts";
import { ISTIO_GROUP, ISTIO_VERSIONS } from "./io.ts";
import { destinationRuleSpecFor } from "./istio-destination-rule.ts";
import { virtualServiceSpecFor, type VirtualServiceRouting } from "./istio-virtual-service.ts";
import { describeRef, refOf } from "./objects.ts";
import { canaryKnown, canaryServiceName } from "./services.ts";
import type { IstioRouting } from "../api/rollout.ts";
import type {
  DesiredTraffic,
  ObjectRef,
  ObservedObject,
  Plan,
  TrafficProvider,
  TrafficTarget,
} from "./types.ts";

export interface ObservedIstio {
  /** Served networking.istio.io version; undefined when Istio's API is not installed. */
  readonly version: string | undefined;
  readonly virtualService: ObservedObject | undefined;
  readonly destinationRule: ObservedObject | undefined;
}

function istioOf(target: TrafficTarget): IstioRouting {
  const router = target.routing.router;
  if (router.kind !== "istio") throw new Error(`the istio provider got a ${router.kind} Rollout`);
  return router.istio;
}

const apiVersion = (version: string): string => `${ISTIO_GROUP}/${version}`;

export const virtualServiceRef = (target: TrafficTarget, version: string): ObjectRef =>
  refOf("VirtualService", apiVersion(version), target.namespace, istioOf(target).virtualService.name);

export function destinationRuleRef(target: TrafficTarget, version: string): ObjectRef | undefined {
  const dr = istioOf(target).destinationRule;
  return dr === undefined
    ? undefined
    : refOf("DestinationRule", apiVersion(version), target.namespace, dr.name);
}

function vsRouting(target: TrafficTarget, ref: ObjectRef): VirtualServiceRouting {
  const istio = istioOf(target);
  const dr = istio.destinationRule;
  return {
    describe: describeRef(ref),
    namespace: target.namespace,
    stableService: target.routing.service,
    routes: istio.virtualService.routes ?? [],
    destination:
      dr === undefined
        ? { kind: "service", canaryService: canaryServiceName(target.routing.service) }
        : { kind: "subset", stableSubset: dr.stableSubset, canarySubset: dr.canarySubset },
  };
}

const notInstalled = (): Plan => ({
  kind: "problem",
  problem: `the API server does not serve ${ISTIO_GROUP} (${ISTIO_VERSIONS.join(", ")}): install Istio's CRDs or use another trafficRouting`,
});

const missing = (ref: ObjectRef, field: string): Plan => ({
  kind: "problem",
  problem: `${describeRef(ref)} (${field}) not found: create it or fix spec.strategy.canary.${field}`,
});

function planEnsure(
  observed: ObservedIstio,
  target: TrafficTarget,
  desired: DesiredTraffic,
  createMissing: boolean,
): Plan {
  const { version, virtualService: vs, destinationRule: dr } = observed;
  if (version === undefined) return createMissing ? notInstalled() : { kind: "writes", stages: [] };
  const vsRef = virtualServiceRef(target, version);
  const drRef = destinationRuleRef(target, version);
  if (vs === undefined) {
    return createMissing
      ? missing(vsRef, "trafficRouting.istio.virtualService.name")
      : { kind: "writes", stages: [] };
  }
  let drStep: InPlaceStep = {};
  const drSpec = istioOf(target).destinationRule;
  if (drRef !== undefined && drSpec !== undefined) {
    if (dr === undefined) {
      if (createMissing) return missing(drRef, "trafficRouting.istio.destinationRule.name");
    } else {
      drStep = planInPlace(
        {
          ref: drRef,
          obj: dr,
          path: "/spec",
          current: dr.spec,
          createMissing,
          reason: `set subsets ${drSpec.stableSubset}/${drSpec.canarySubset} of ${describeRef(drRef)} to the stable/canary revisions`,
        },
        (original) =>
          destinationRuleSpecFor(original, {
            describe: describeRef(drRef),
            namespace: target.namespace,
            stableService: target.routing.service,
            revisionLabel: target.revisionLabel,
            // The canary subset waits for its revision; the stable one is pinned before any canary pod exists.
            subsets: [
              { name: drSpec.stableSubset, revision: target.stableRevision },
              ...(canaryKnown(target)
                ? [{ name: drSpec.canarySubset, revision: target.canaryRevision }]
                : []),
            ],
          }),
      );
    }
  }
  const vsStep = planInPlace(
    {
      ref: vsRef,
      obj: vs,
      path: "/spec",
      current: vs.spec,
      createMissing,
      reason: `set ${describeRef(vsRef)}: canary weight ${desired.weight}%${desired.matches.length > 0 ? " and match routes" : ""}`,
    },
    (original) => virtualServiceSpecFor(original, vsRouting(target, vsRef), desired),
  );
  return stagedPlan(drStep, vsStep);
}

function planRestore(observed: ObservedIstio, target: TrafficTarget): Plan {
  const { version, virtualService: vs, destinationRule: dr } = observed;
  if (version === undefined) return { kind: "writes", stages: [] };
  const vsRef = virtualServiceRef(target, version);
  const drRef = destinationRuleRef(target, version);
  const restore = (ref: ObjectRef, obj: ObservedObject | undefined): InPlaceStep =>
    obj === undefined
      ? {}
      : planRestoreInPlace({
          ref,
          obj,
          path: "/spec",
          reason: `restore the original spec of ${describeRef(ref)}`,
        });
  return stagedPlan(restore(vsRef, vs), drRef === undefined ? {} : restore(drRef, dr));
}

export const istioProvider: TrafficProvider<ObservedIstio> = {
  name: "istio",
  // Subset mode splits by pod labels behind the one stable Service: pinning that Service to the stable
  // revision would leave the canary subset without endpoints.
  usesServices: (target) => istioOf(target).destinationRule === undefined,
  observe: async (io, target) => {
    const version = await io.istioVersion();
    if (version === undefined) return { version, virtualService: undefined, destinationRule: undefined };
    const drRef = destinationRuleRef(target, version);
    const [virtualService, destinationRule] = await Promise.all([
      io.get(virtualServiceRef(target, version)),
      drRef === undefined ? Promise.resolve(undefined) : io.get(drRef),
    ]);
    return { version, virtualService, destinationRule };
  },
  planEnsure: (observed, target, desired, options) =>
    planEnsure(observed, target, desired, options.createMissing),
  planRestore,
};
