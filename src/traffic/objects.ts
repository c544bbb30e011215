// Reading objects as the API server sends them, naming them in messages, and the metadata operations every
// planner shares: the saved original (annotation) and ownership by the Rollout.
import { ANNOTATION_TRAFFIC_ORIGINAL } from "../api/names.ts";
import { arrayAt, isObject, jsonPointer, objectAt, parseJson, stringAt, stringMap } from "./json.ts";
import type {
  JsonObject,
  JsonValue,
  ObjectRef,
  ObservedObject,
  OwnerRef,
  PatchOp,
  TrafficKind,
  TrafficWrite,
} from "./types.ts";

/** Parses an object from the API server; throws when it lacks the metadata every object has. */
export function observedFrom(json: JsonValue): ObservedObject {
  const meta = objectAt(isObject(json) ? json["metadata"] : undefined);
  const name = stringAt(meta["name"]);
  const uid = stringAt(meta["uid"]);
  const resourceVersion = stringAt(meta["resourceVersion"]);
  if (!isObject(json) || name === undefined || uid === undefined || resourceVersion === undefined) {
    throw new Error(
      `expected a Kubernetes object with metadata.name, uid and resourceVersion, got ${JSON.stringify(json).slice(0, 200)}`,
    );
  }
  const controller = arrayAt(meta["ownerReferences"])
    .map(objectAt)
    .find((o) => o["controller"] === true);
  return {
    json,
    name,
    uid,
    resourceVersion,
    labels: stringMap(meta["labels"]),
    annotations: stringMap(meta["annotations"]),
    controllerUid: stringAt(controller?.["uid"]),
    spec: objectAt(json["spec"]),
  };
}

/** `Service shop/web` — how messages name an object. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

export function refOf(kind: TrafficKind, apiVersion: string, namespace: string, name: string): ObjectRef {
  return { kind, apiVersion, namespace, name };
}

/** The ownerReference Slipway puts on objects it creates: the Rollout controls them (GC with the Rollout). */
export function ownerReference(owner: OwnerRef): JsonObject {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** An object named like Slipway's but controlled by someone else is never changed or deleted. */
export function notOursProblem(ref: ObjectRef, owner: OwnerRef): string {
  return (
    `${describeRef(ref)} exists but is not controlled by ${owner.kind} ${ref.namespace}/${owner.name}: ` +
    `Slipway creates and owns this name; delete or rename that object`
  );
}

export type SavedOriginal =
  | { readonly kind: "none" }
  | { readonly kind: "saved"; readonly value: JsonValue }
  | { readonly kind: "corrupt"; readonly problem: string };

/** The part of `obj` saved before Slipway's first change (ANNOTATION_TRAFFIC_ORIGINAL). */
export function savedOriginal(obj: ObservedObject, ref: ObjectRef): SavedOriginal {
  const text = obj.annotations[ANNOTATION_TRAFFIC_ORIGINAL];
  if (text === undefined) return { kind: "none" };
  const value = parseJson(text);
  if (value === undefined) {
    return {
      kind: "corrupt",
      problem:
        `${describeRef(ref)} has an annotation ${ANNOTATION_TRAFFIC_ORIGINAL} that is not valid JSON: ` +
        `restore the object by hand and remove the annotation`,
    };
  }
  return { kind: "saved", value };
}

/** Adds the saved-original annotation (JSON of `value`). */
export function saveOriginalOps(obj: ObservedObject, value: JsonValue): PatchOp[] {
  const text = JSON.stringify(value);
  const meta = objectAt(obj.json["metadata"]);
  if (!isObject(meta["annotations"])) {
    return [{ op: "add", path: "/metadata/annotations", value: { [ANNOTATION_TRAFFIC_ORIGINAL]: text } }];
  }
  return [
    { op: "add", path: jsonPointer("metadata", "annotations", ANNOTATION_TRAFFIC_ORIGINAL), value: text },
  ];
}

/** Removes the saved-original annotation, and the annotations map when it held nothing else. */
export function dropOriginalOps(obj: ObservedObject): PatchOp[] {
  const keys = Object.keys(objectAt(objectAt(obj.json["metadata"])["annotations"]));
  if (!keys.includes(ANNOTATION_TRAFFIC_ORIGINAL)) return [];
  if (keys.length === 1) return [{ op: "remove", path: "/metadata/annotations" }];
  return [{ op: "remove", path: jsonPointer("metadata", "annotations", ANNOTATION_TRAFFIC_ORIGINAL) }];
}

export function patchWrite(
  ref: ObjectRef,
  obj: ObservedObject,
  ops: readonly PatchOp[],
  reason: string,
): TrafficWrite {
  return { type: "patch", ref, resourceVersion: obj.resourceVersion, ops, reason };
}

export function deleteWrite(ref: ObjectRef, obj: ObservedObject, reason: string): TrafficWrite {
  return { type: "delete", ref, uid: obj.uid, reason };
}
