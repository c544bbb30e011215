// nginx ingress (SPEC §5.4): a canary Ingress `<ingress>-canary`, owned by the Rollout, that copies the rules
// and paths of the stable Ingress whose backend is the stable Service (renamed to the canary Service), the
// ingress class and TLS, and carries nginx's canary annotations. The stable Ingress is never modified.
import { CANARY_SUFFIX } from "../api/names.ts";
import { arrayAt, isObject, jsonEqual, objectAt, stringAt } from "./json.ts";
import { isNginxCanaryAnnotation, nginxCanaryAnnotations } from "./matches.ts";
import { deleteWrite, describeRef, notOursProblem, ownerReference, patchWrite, refOf } from "./objects.ts";
import { canaryServiceName } from "./services.ts";
import type {
  DesiredTraffic,
  JsonObject,
  JsonValue,
  ObjectRef,
  ObservedObject,
  Plan,
  TrafficProvider,
  TrafficTarget,
} from "./types.ts";

export const INGRESS_API_VERSION = "networking.k8s.io/v1";
/** The ingress class annotation older clusters and controllers still read. */
export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

export interface ObservedNginx {
  readonly stable: ObservedObject | undefined;
  readonly canary: ObservedObject | undefined;
}

function ingressName(target: TrafficTarget): string {
  const router = target.routing.router;
  if (router.kind !== "nginx") throw new Error(`the nginx provider got a ${router.kind} Rollout`);
  return router.nginx.ingress;
}

export const stableIngressRef = (target: TrafficTarget): ObjectRef =>
  refOf("Ingress", INGRESS_API_VERSION, target.namespace, ingressName(target));

export const canaryIngressRef = (target: TrafficTarget): ObjectRef =>
  refOf("Ingress", INGRESS_API_VERSION, target.namespace, `${ingressName(target)}${CANARY_SUFFIX}`);

/** A path's backend renamed to the canary Service when it is the stable Service; undefined otherwise. */
function canaryPath(path: JsonValue, stable: string, canary: string): JsonValue | undefined {
  const service = objectAt(objectAt(objectAt(path)["backend"])["service"]);
  if (stringAt(service["name"]) !== stable) return undefined;
  const p = objectAt(path);
  return { ...p, backend: { ...objectAt(p["backend"]), service: { ...service, name: canary } } };
}

/** The rules of the stable Ingress that reach the stable Service, and only their paths that do. */
export function canaryRules(spec: JsonObject, stable: string, canary: string): JsonValue[] {
  return arrayAt(spec["rules"]).flatMap((rule) => {
    const r = objectAt(rule);
    const paths = arrayAt(objectAt(r["http"])["paths"]).flatMap((p) => {
      const renamed = canaryPath(p, stable, canary);
      return renamed === undefined ? [] : [renamed];
    });
    return paths.length === 0 ? [] : [{ ...r, http: { ...objectAt(r["http"]), paths } }];
  });
}

/** The canary Ingress as it should be, or why it cannot be built. */
export function canaryIngressFrom(
  stable: ObservedObject,
  target: TrafficTarget,
  desired: DesiredTraffic,
): { readonly ok: true; readonly object: JsonObject } | { readonly ok: false; readonly problem: string } {
  const service = target.routing.service;
  const stableRef = stableIngressRef(target);
  const rules = canaryRules(stable.spec, service, canaryServiceName(service));
  if (rules.length === 0) {
    return {
      ok: false,
      problem:
        `${describeRef(stableRef)} has no rule whose backend is Service ${service} (trafficRouting.service): ` +
        `point a path's backend.service.name at ${service}, or fix trafficRouting.nginx.ingress / trafficRouting.service`,
    };
  }
  const annotations = nginxCanaryAnnotations(desired.weight, desired.matches);
  if (!annotations.ok) return annotations;
  const legacyClass = stable.annotations[LEGACY_CLASS_ANNOTATION];
  const spec: JsonObject = {
    ...(isObject(stable.spec) && stable.spec["ingressClassName"] !== undefined
      ? { ingressClassName: stable.spec["ingressClassName"] }
      : {}),
    ...(stable.spec["tls"] !== undefined ? { tls: stable.spec["tls"] } : {}),
    rules,
  };
  const ref = canaryIngressRef(target);
  return {
    ok: true,
    object: {
      apiVersion: INGRESS_API_VERSION,
      kind: "Ingress",
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        annotations: {
          ...(legacyClass === undefined ? {} : { [LEGACY_CLASS_ANNOTATION]: legacyClass }),
          ...annotations.annotations,
        },
        ownerReferences: [ownerReference(target.owner)],
      },
      spec,
    },
  };
}

/** Route to stable without the stable Ingress: weight 0, match annotations dropped, the rest kept. */
function toStableAnnotations(canary: ObservedObject): JsonObject {
  const kept = Object.entries(canary.annotations).filter(([k]) => !isNginxCanaryAnnotation(k));
  const zero = nginxCanaryAnnotations(0, []);
  return { ...Object.fromEntries(kept), ...(zero.ok ? zero.annotations : {}) };
}

function planEnsure(
  observed: ObservedNginx,
  target: TrafficTarget,
  desired: DesiredTraffic,
  createMissing: boolean,
): Plan {
  const ref = canaryIngressRef(target);
  const { canary } = observed;
  if (canary !== undefined && canary.controllerUid !== target.owner.uid) {
    return { kind: "problem", problem: notOursProblem(ref, target.owner) };
  }
  if (!createMissing) {
    if (canary === undefined) return { kind: "writes", stages: [] };
    const annotations = toStableAnnotations(canary);
    if (jsonEqual(canary.annotations, annotations)) return { kind: "writes", stages: [] };
    const ops = [{ op: "add" as const, path: "/metadata/annotations", value: annotations }];
    return {
      kind: "writes",
      stages: [[patchWrite(ref, canary, ops, `route ${describeRef(ref)} to stable (weight 0, no matches)`)]],
    };
  }
  if (observed.stable === undefined) {
    return {
      kind: "problem",
      problem: `${describeRef(stableIngressRef(target))} (trafficRouting.nginx.ingress) not found: create it or fix spec.strategy.canary.trafficRouting.nginx.ingress`,
    };
  }
  const built = canaryIngressFrom(observed.stable, target, desired);
  if (!built.ok) return { kind: "problem", problem: built.problem };
  const what = `${describeRef(ref)}: weight ${desired.weight}%${desired.matches.length > 0 ? " and header match" : ""}`;
  if (canary === undefined) {
    return {
      kind: "writes",
      stages: [[{ type: "create", ref, object: built.object, reason: `create ${what}` }]],
    };
  }
  const wantAnnotations = objectAt(objectAt(built.object["metadata"])["annotations"]);
  const wantSpec = objectAt(built.object["spec"]);
  if (jsonEqual(canary.annotations, wantAnnotations) && jsonEqual(canary.spec, wantSpec)) {
    return { kind: "writes", stages: [] };
  }
  const ops = [
    { op: "add" as const, path: "/metadata/annotations", value: wantAnnotations },
    { op: "add" as const, path: "/spec", value: wantSpec },
  ];
  return { kind: "writes", stages: [[patchWrite(ref, canary, ops, `set ${what}`)]] };
}

export const nginxProvider: TrafficProvider<ObservedNginx> = {
  name: "nginx",
  usesServices: () => true,
  observe: async (io, target) => {
    const [stable, canary] = await Promise.all([
      io.get(stableIngressRef(target)),
      io.get(canaryIngressRef(target)),
    ]);
    return { stable, canary };
  },
  planEnsure: (observed, target, desired, options) =>
    planEnsure(observed, target, desired, options.createMissing),
  planRestore: (observed, target) => {
    const { canary } = observed;
    if (canary === undefined || canary.controllerUid !== target.owner.uid)
      return { kind: "writes", stages: [] };
    const ref = canaryIngressRef(target);
    return { kind: "writes", stages: [[deleteWrite(ref, canary, `delete ${describeRef(ref)}`)]] };
  },
};
