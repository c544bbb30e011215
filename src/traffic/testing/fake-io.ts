// An in-memory TrafficIO for unit tests: stores objects as JSON, applies JSON patches the way the API server
// does (resourceVersion precondition, uid precondition on delete), bumps resourceVersions and records
// every write in order.
import type { ApplyResult, TrafficIO } from "../io.ts";
import { isObject } from "../json.ts";
import { observedFrom } from "../objects.ts";
import type { JsonObject, JsonValue, ObjectRef, ObservedObject, PatchOp, TrafficWrite } from "../types.ts";

type Mutable = { [key: string]: MutableValue };
type MutableValue = null | boolean | number | string | MutableValue[] | Mutable;

const keyOf = (ref: Pick<ObjectRef, "kind" | "namespace" | "name">): string =>
  `${ref.kind}/${ref.namespace}/${ref.name}`;

function clone<T extends JsonValue>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function decode(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Applies RFC 6902 add/remove to a deep copy; throws like the API server on a missing parent or member. */
export function applyPatch(doc: JsonObject, ops: readonly PatchOp[]): JsonObject {
  const root = clone(doc) as Mutable;
  for (const op of ops) {
    const segments = op.path.split("/").slice(1).map(decode);
    const last = segments.pop();
    if (last === undefined) throw new Error(`cannot patch the root (${op.path})`);
    let parent: MutableValue = root;
    for (const s of segments) {
      const next: MutableValue | undefined = Array.isArray(parent)
        ? parent[Number(s)]
        : isObject(parent)
          ? (parent as Mutable)[s]
          : undefined;
      if (next === undefined) throw new Error(`path ${op.path}: ${s} does not exist`);
      parent = next;
    }
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (op.op === "add") parent.splice(index, 0, clone(op.value) as MutableValue);
      else parent.splice(index, 1);
    } else if (isObject(parent)) {
      const obj = parent as Mutable;
      if (op.op === "add") obj[last] = clone(op.value) as MutableValue;
      else if (!(last in obj)) throw new Error(`path ${op.path}: cannot remove a missing member`);
      else delete obj[last];
    } else {
      throw new Error(`path ${op.path}: parent is not a container`);
    }
  }
  return root;
}

export class FakeTrafficIO implements TrafficIO {
  readonly objects = new Map<string, JsonObject>();
  readonly writes: TrafficWrite[] = [];
  istio: string | undefined = "v1";
  #version = 100;
  #uid = 0;
  /** Make the next write of these object keys fail with a conflict (a concurrent writer). */
  readonly conflictOnce = new Set<string>();

  /** Stores an object as a user would create it; metadata.uid and resourceVersion are filled in. */
  put(object: JsonObject): JsonObject {
    const meta = isObject(object["metadata"]) ? object["metadata"] : {};
    const stored: JsonObject = {
      ...object,
      metadata: { ...meta, uid: `uid-${++this.#uid}`, resourceVersion: String(++this.#version) },
    };
    const kind = String(object["kind"]);
    this.objects.set(
      keyOf({
        kind: kind as ObjectRef["kind"],
        namespace: String(meta["namespace"]),
        name: String(meta["name"]),
      }),
      stored,
    );
    return stored;
  }

  find(kind: ObjectRef["kind"], namespace: string, name: string): JsonObject | undefined {
    return this.objects.get(keyOf({ kind, namespace, name }));
  }

  async get(ref: ObjectRef): Promise<ObservedObject | undefined> {
    const obj = this.objects.get(keyOf(ref));
    return obj === undefined ? undefined : observedFrom(clone(obj));
  }

  async istioVersion(): Promise<string | undefined> {
    return this.istio;
  }

  async apply(write: TrafficWrite): Promise<ApplyResult> {
    const key = keyOf(write.ref);
    if (this.conflictOnce.delete(key)) return "conflict";
    const current = this.objects.get(key);
    const meta = isObject(current?.["metadata"]) ? current["metadata"] : {};
    switch (write.type) {
      case "create": {
        if (current !== undefined) return "conflict";
        this.writes.push(write);
        this.put(write.object);
        return "ok";
      }
      case "patch": {
        if (current === undefined) return "gone";
        if (meta["resourceVersion"] !== write.resourceVersion) return "conflict";
        const patched = applyPatch(current, write.ops);
        const pmeta = isObject(patched["metadata"]) ? patched["metadata"] : {};
        this.writes.push(write);
        this.objects.set(key, {
          ...patched,
          metadata: { ...pmeta, resourceVersion: String(++this.#version) },
        });
        return "ok";
      }
      case "delete": {
        if (current === undefined) return "gone";
        if (meta["uid"] !== write.uid) return "conflict";
        this.writes.push(write);
        this.objects.delete(key);
        return "ok";
      }
      default: {
        const unknown: never = write;
        throw new Error(`unknown write ${JSON.stringify(unknown)}`);
      }
    }
  }
}
