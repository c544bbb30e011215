// The informer's cache: objects by `namespace/name`, plus secondary indexes (by label, by owner, …)
// kept in step on every write so lookups never scan.

import { objectKey } from "./resources.ts";
import type { KubeObject } from "./resources.ts";

/** Index values an object is filed under; [] for none. */
export type IndexFn<T> = (obj: T) => readonly string[];

/** What consumers get: reads only; the informer owns the writes. */
export interface ReadonlyStore<T extends KubeObject> {
  get(key: string): T | undefined;
  getByName(namespace: string | undefined, name: string): T | undefined;
  /** Every object, or those in one namespace. */
  list(namespace?: string): T[];
  keys(): string[];
  byIndex(indexName: string, value: string): T[];
  readonly size: number;
}

/** Files objects under the value of one label. */
export function labelIndex<T extends KubeObject>(label: string): IndexFn<T> {
  return (obj) => {
    const value = obj.metadata?.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

/** Files objects under the uid of each owner (find ReplicaSets of a Deployment, Pods of a ReplicaSet). */
export function ownerUidIndex<T extends KubeObject>(): IndexFn<T> {
  return (obj) => {
    const owners = obj.metadata?.ownerReferences;
    if (!Array.isArray(owners)) return [];
    return owners.flatMap((o: unknown) => {
      const uid = (o as { uid?: unknown }).uid;
      return typeof uid === "string" ? [uid] : [];
    });
  };
}

export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  readonly #items = new Map<string, T>();
  readonly #indexers: ReadonlyMap<string, IndexFn<T>>;
  /** index name → value → keys */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Readonly<Record<string, IndexFn<T>>> = {}) {
    this.#indexers = new Map(Object.entries(indexers));
    for (const name of this.#indexers.keys()) this.#indexes.set(name, new Map());
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.#items.get(namespace === undefined || namespace === "" ? name : `${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.#items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.#indexes.get(indexName);
    if (index === undefined) {
      throw new Error(`no index named "${indexName}"; declare it in the informer's indexers option`);
    }
    return [...(index.get(value) ?? [])].flatMap((key) => {
      const obj = this.#items.get(key);
      return obj === undefined ? [] : [obj];
    });
  }

  /** Inserts or replaces; returns the previous object. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#index(key, obj);
    return old;
  }

  /** Removes; returns what was there. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #index(key: string, obj: T): void {
    this.#eachIndexValue(obj, (index, value) => {
      let keys = index.get(value);
      if (keys === undefined) index.set(value, (keys = new Set()));
      keys.add(key);
    });
  }

  #unindex(key: string, obj: T): void {
    this.#eachIndexValue(obj, (index, value) => {
      const keys = index.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.delete(value);
    });
  }

  #eachIndexValue(obj: T, visit: (index: Map<string, Set<string>>, value: string) => void): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name);
      if (index === undefined) continue;
      for (const value of fn(obj)) visit(index, value);
    }
  }
}
