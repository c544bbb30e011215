// The edge between the pure planners and the API server. The lead backs WorkloadIO with src/kube; tests back it
// with an in-memory fake. Expected outcomes (conflict, already exists, gone) are values, not exceptions.

import type { V1LabelSelector } from "@kubernetes/client-node";
import type { KubeObject, ObjectRef, Write } from "./types.ts";

export type WriteResult =
  | { readonly ok: true }
  /** Precondition failed (409 Conflict, also for delete preconditions) or create hit AlreadyExists (409). */
  | {
      readonly ok: false;
      readonly reason: "conflict" | "already-exists" | "not-found";
      readonly message: string;
    };

export interface ListQuery {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  /** Kubernetes label selector string (`labelSelectorString`). */
  readonly labelSelector: string;
}

/**
 * Objects must be handed over as the API server sent them (plain JSON). A typed model that drops fields it does
 * not know would make templates compare unequal and break ReplicaSet adoption.
 */
export interface WorkloadIO {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(query: ListQuery): Promise<readonly KubeObject[]>;
  /**
   * JSON merge patch with `metadata.resourceVersion` set to `resourceVersion` (optimistic concurrency), or,
   * when `unchanged` is given, conditional on those fields instead (a changed one answers "conflict").
   */
  patch(
    ref: ObjectRef,
    mergePatch: Readonly<Record<string, unknown>>,
    resourceVersion: string,
    unchanged?: Readonly<Record<string, unknown>>,
  ): Promise<WriteResult>;
  create(ref: ObjectRef, object: KubeObject): Promise<WriteResult>;
  /** DELETE with preconditions {uid, resourceVersion} and background propagation; NotFound counts as done. */
  delete(ref: ObjectRef, preconditions: { uid: string; resourceVersion: string }): Promise<WriteResult>;
}

export interface ApplyOutcome {
  readonly applied: number;
  /** The write that lost a race; the caller re-reads and re-plans (never retries the same write blindly). */
  readonly stale?: { readonly write: Write; readonly result: Exclude<WriteResult, { ok: true }> };
}

/** Apply writes in order (the order is part of the plan: scale up before scale down); stop at the first stale one. */
export async function applyWrites(io: WorkloadIO, writes: readonly Write[]): Promise<ApplyOutcome> {
  let applied = 0;
  for (const write of writes) {
    const result = await applyOne(io, write);
    if (!result.ok) {
      // Deleting something already gone is the goal reached, not a race lost.
      if (write.type === "delete" && result.reason === "not-found") {
        applied++;
        continue;
      }
      return { applied, stale: { write, result } };
    }
    applied++;
  }
  return { applied };
}

function applyOne(io: WorkloadIO, write: Write): Promise<WriteResult> {
  switch (write.type) {
    case "patch":
      return write.unchanged === undefined
        ? io.patch(write.target, write.patch, write.resourceVersion)
        : io.patch(write.target, write.patch, write.resourceVersion, write.unchanged);
    case "create":
      return io.create(write.target, write.object);
    case "delete":
      return io.delete(write.target, { uid: write.uid, resourceVersion: write.resourceVersion });
    default: {
      const unknown: never = write;
      throw new Error(`unknown write ${JSON.stringify(unknown)}`);
    }
  }
}

/** metav1.LabelSelector → the string form the list API takes (labels.SelectorFromSet + expressions). */
export function labelSelectorString(selector: V1LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(",");
    switch (expression.operator) {
      case "In":
        parts.push(`${expression.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${expression.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(expression.key);
        break;
      case "DoesNotExist":
        parts.push(`!${expression.key}`);
        break;
      default:
        throw new Error(`label selector operator "${expression.operator}" is not one Kubernetes defines`);
    }
  }
  return parts.join(",");
}

export function refOf(object: KubeObject, fallback: { apiVersion: string; kind: string }): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? fallback.apiVersion,
    kind: object.kind ?? fallback.kind,
    namespace: object.metadata?.namespace ?? "",
    name: object.metadata?.name ?? "",
  };
}
