// The one pattern for changing a user's object in place (stable Service selector, VirtualService spec,
// DestinationRule spec): save the original once in an annotation, always compute the wanted value from that
// saved original, and restore it exactly at the end. Pure.
import { jsonEqual } from "./json.ts";
import { dropOriginalOps, patchWrite, savedOriginal, saveOriginalOps } from "./objects.ts";
import type { JsonValue, ObjectRef, ObservedObject, Plan, TrafficWrite } from "./types.ts";

export interface InPlaceEdit {
  readonly ref: ObjectRef;
  readonly obj: ObservedObject;
  /** JSON pointer of the part Slipway changes ("/spec", "/spec/selector"). */
  readonly path: string;
  /** That part as it is now. */
  readonly current: JsonValue;
  /** False: leave an object Slipway never changed alone (route to stable before any change). */
  readonly createMissing: boolean;
  readonly reason: string;
}

/** A value computed from the saved original, or why it cannot be. */
export type Computed =
  { readonly ok: true; readonly value: JsonValue } | { readonly ok: false; readonly problem: string };

/** The single write that makes the part `compute(original)`, or none when it already is. */
export function planInPlace(edit: InPlaceEdit, compute: (original: JsonValue) => Computed): InPlaceStep {
  const saved = savedOriginal(edit.obj, edit.ref);
  if (saved.kind === "corrupt") return { problem: saved.problem };
  if (saved.kind === "none" && !edit.createMissing) return {};
  const original = saved.kind === "saved" ? saved.value : edit.current;
  const computed = compute(original);
  if (!computed.ok) return { problem: computed.problem };
  const wanted = computed.value;
  if (jsonEqual(edit.current, wanted)) return {};
  const ops = [
    ...(saved.kind === "none" ? saveOriginalOps(edit.obj, original) : []),
    { op: "add" as const, path: edit.path, value: wanted },
  ];
  return { write: patchWrite(edit.ref, edit.obj, ops, edit.reason) };
}

/** Puts the saved original back and removes the annotation; nothing when Slipway never changed the object. */
export function planRestoreInPlace(edit: Omit<InPlaceEdit, "current" | "createMissing">): InPlaceStep {
  const saved = savedOriginal(edit.obj, edit.ref);
  if (saved.kind === "corrupt") return { problem: saved.problem };
  if (saved.kind === "none") return {};
  const ops = [{ op: "add" as const, path: edit.path, value: saved.value }, ...dropOriginalOps(edit.obj)];
  return { write: patchWrite(edit.ref, edit.obj, ops, edit.reason) };
}

export type InPlaceStep = { readonly write?: TrafficWrite } | { readonly problem: string };

/** One stage per write, in the order given; any problem wins (nothing is written). */
export function stagedPlan(...steps: readonly InPlaceStep[]): Plan {
  const problems = steps.flatMap((s) => ("problem" in s ? [s.problem] : []));
  if (problems.length > 0) return { kind: "problem", problem: problems.join("; ") };
  const stages = steps.flatMap((s) => ("write" in s && s.write !== undefined ? [[s.write]] : []));
  return { kind: "writes", stages };
}
