// Records every traffic-relevant write in a namespace — Service selectors, canary Ingress weights, ReplicaSet
// sizes, pods appearing/ready/gone — and orders them by resourceVersion. resourceVersions come from one etcd
// revision counter, so sorting by them gives the true order of the writes across kinds (the watches
// themselves may deliver them in any order).
import { Watch } from "@kubernetes/client-node";
import type { JsonObject } from "../../../src/traffic/types.ts";
import { clients } from "../lib/index.ts";
import { kubeClient } from "../lib/traffic.ts";

export type Entry = { readonly rv: number; readonly at: number } & (
  | {
      readonly kind: "service";
      readonly name: string;
      readonly pinned: string | undefined;
      readonly deleted: boolean;
    }
  | {
      readonly kind: "ingress";
      readonly name: string;
      readonly weight: string | undefined;
      readonly header: string | undefined;
      readonly deleted: boolean;
    }
  | { readonly kind: "replicaset"; readonly hash: string; readonly replicas: number }
  | {
      readonly kind: "pod";
      readonly name: string;
      readonly hash: string;
      readonly ready: boolean;
      readonly deleted: boolean;
    }
);

const N = "nginx.ingress.kubernetes.io";
const HASH = "pod-template-hash";

type Meta = {
  name?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
type Obj = { metadata?: Meta; spec?: JsonObject; status?: JsonObject };

function summary(kind: string, type: string, o: Obj, at: number): Entry | undefined {
  const meta = o.metadata ?? {};
  const rv = Number(meta.resourceVersion ?? "0");
  const deleted = type === "DELETED";
  const name = meta.name ?? "";
  switch (kind) {
    case "services":
      return {
        rv,
        at,
        kind: "service",
        name,
        pinned: (o.spec?.["selector"] as Record<string, string> | undefined)?.[HASH],
        deleted,
      };
    case "ingresses":
      return {
        rv,
        at,
        kind: "ingress",
        name,
        weight: meta.annotations?.[`${N}/canary-weight`],
        header: meta.annotations?.[`${N}/canary-by-header`],
        deleted,
      };
    case "replicasets":
      return {
        rv,
        at,
        kind: "replicaset",
        hash: meta.labels?.[HASH] ?? "",
        replicas: deleted ? 0 : Number(o.spec?.["replicas"] ?? 0),
      };
    case "pods": {
      const conditions = (o.status?.["conditions"] ?? []) as { type: string; status: string }[];
      const ready = conditions.some((c) => c.type === "Ready" && c.status === "True");
      return { rv, at, kind: "pod", name, hash: meta.labels?.[HASH] ?? "", ready, deleted };
    }
    default:
      return undefined;
  }
}

/** What an entry says, without its resourceVersion: an unchanged object records nothing new. */
const key = (e: Entry): string => JSON.stringify({ ...e, rv: 0, at: 0 });
const identity = (e: Entry): string => `${e.kind}/${"name" in e ? e.name : e.hash}`;

export class TrafficTimeline {
  readonly #entries: Entry[] = [];
  readonly #last = new Map<string, string>();
  readonly #aborts: AbortController[] = [];
  readonly #namespace: string;

  constructor(namespace: string) {
    this.#namespace = namespace;
  }

  async start(): Promise<void> {
    const ns = this.#namespace;
    const watch = new Watch(clients().kc);
    const paths: Record<string, string> = {
      services: `/api/v1/namespaces/${ns}/services`,
      ingresses: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
      replicasets: `/apis/apps/v1/namespaces/${ns}/replicasets`,
      pods: `/api/v1/namespaces/${ns}/pods`,
    };
    for (const [kind, path] of Object.entries(paths)) {
      const list = await kubeClient().request<{ metadata: { resourceVersion: string }; items: Obj[] }>({
        method: "GET",
        path,
      });
      for (const item of list.items) this.#add(summary(kind, "ADDED", item, Date.now()));
      this.#aborts.push(
        await watch.watch(
          path,
          { resourceVersion: list.metadata.resourceVersion },
          (type: string, obj: Obj) => this.#add(summary(kind, type, obj, Date.now())),
          () => undefined,
        ),
      );
    }
  }

  stop(): void {
    for (const a of this.#aborts) a.abort();
  }

  #add(entry: Entry | undefined): void {
    if (entry === undefined) return;
    const id = identity(entry);
    if (this.#last.get(id) === key(entry)) return;
    this.#last.set(id, key(entry));
    this.#entries.push(entry);
  }

  /** Every recorded change, in the order the API server made them. */
  entries(): Entry[] {
    return [...this.#entries].sort((a, b) => a.rv - b.rv);
  }

  first(predicate: (e: Entry) => boolean): Entry | undefined {
    return this.entries().find(predicate);
  }

  /** Ready pods per hash as they were right after `rv`. */
  readyPodsAt(rv: number): Map<string, number> {
    const pods = new Map<string, { hash: string; ready: boolean }>();
    for (const e of this.entries()) {
      if (e.rv > rv) break;
      if (e.kind !== "pod") continue;
      if (e.deleted) pods.delete(e.name);
      else pods.set(e.name, { hash: e.hash, ready: e.ready });
    }
    const out = new Map<string, number>();
    for (const p of pods.values()) if (p.ready) out.set(p.hash, (out.get(p.hash) ?? 0) + 1);
    return out;
  }

  /** One line per entry, for failure messages. */
  describe(): string {
    return this.entries()
      .map((e) => `${e.rv} ${JSON.stringify({ ...e, rv: undefined, at: undefined })}`)
      .join("\n");
  }
}
