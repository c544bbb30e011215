// What the webhook needs to know about Rollouts, answered from memory. The store is fed by a watch (see
// kube/rollout-informer.ts); admission never lists or gets Rollouts per request.

import type { Rollout } from "../src/api/rollout.ts";
import { isDeleting } from "./rollout-meta.ts";

export interface WorkloadKey {
  readonly namespace: string;
  /** API group without version: "apps", "apps.kruise.io". */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

export interface RolloutCache {
  /** True once the initial list is in memory; until then admission fails closed. */
  hasSynced(): boolean;
  get(namespace: string, name: string): Rollout | undefined;
  /** Every Rollout whose workloadRef names the workload (group and kind match; version is ignored). */
  findByWorkload(workload: WorkloadKey): readonly Rollout[];
  /**
   * Read one Rollout from the API server, bypassing the cache. Used only to confirm a re-hold (rare), so a
   * controller change that the watch has not delivered yet is not undone.
   */
  refresh?(namespace: string, name: string): Promise<Rollout | undefined>;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

export function workloadKeyOf(rollout: Rollout): WorkloadKey {
  const ref = rollout.spec.workloadRef;
  return {
    namespace: rollout.metadata.namespace ?? "",
    group: groupOf(ref.apiVersion),
    kind: ref.kind,
    name: ref.name,
  };
}

/** Live: not being deleted and not disabled (SPEC §4.1). Only a live Rollout holds releases. */
export function isLive(rollout: Rollout): boolean {
  return !isDeleting(rollout) && rollout.spec.disabled !== true && rollout.status?.phase !== "Disabled";
}

function keyString(key: WorkloadKey): string {
  return `${key.namespace}\u0000${key.group}\u0000${key.kind}\u0000${key.name}`;
}

/** An in-memory RolloutCache with a workload index; the informer calls `upsert` and `remove`. */
export class MemoryRolloutCache implements RolloutCache {
  readonly #byName = new Map<string, Rollout>();
  readonly #byWorkload = new Map<string, Map<string, Rollout>>();
  #synced = false;
  readonly refresh: RolloutCache["refresh"];

  constructor(refresh?: RolloutCache["refresh"]) {
    this.refresh = refresh;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  markSynced(): void {
    this.#synced = true;
  }

  get(namespace: string, name: string): Rollout | undefined {
    return this.#byName.get(`${namespace}/${name}`);
  }

  findByWorkload(workload: WorkloadKey): readonly Rollout[] {
    return [...(this.#byWorkload.get(keyString(workload))?.values() ?? [])];
  }

  upsert(rollout: Rollout): void {
    this.remove(rollout);
    const name = `${rollout.metadata.namespace ?? ""}/${rollout.metadata.name}`;
    this.#byName.set(name, rollout);
    const key = keyString(workloadKeyOf(rollout));
    const bucket = this.#byWorkload.get(key) ?? new Map<string, Rollout>();
    bucket.set(name, rollout);
    this.#byWorkload.set(key, bucket);
  }

  remove(rollout: Pick<Rollout, "metadata">): void {
    const name = `${rollout.metadata.namespace ?? ""}/${rollout.metadata.name}`;
    const previous = this.#byName.get(name);
    if (previous === undefined) return;
    this.#byName.delete(name);
    const key = keyString(workloadKeyOf(previous));
    const bucket = this.#byWorkload.get(key);
    bucket?.delete(name);
    if (bucket?.size === 0) this.#byWorkload.delete(key);
  }

  /** Replace everything (after a relist). */
  replaceAll(rollouts: readonly Rollout[]): void {
    this.#byName.clear();
    this.#byWorkload.clear();
    for (const rollout of rollouts) this.upsert(rollout);
  }
}
