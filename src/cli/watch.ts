// Live views for `get --watch` and `status --wait`: informers (LIST once, then WATCH) on the Rollouts and,
// for one named Rollout, on its workload. Nothing polls the API server; changes arrive as watch events.
import { Informer } from "../kube/informer.ts";
import { collectionPath, objectKey, ROLLOUTS, type KubeObject } from "../kube/resources.ts";
import type { Rollout } from "../api/rollout.ts";
import type { Connection } from "./connection.ts";
import { asRollout, workloadResource } from "./rollouts.ts";

export interface WatchedRollout {
  readonly raw: KubeObject;
  readonly rollout: Rollout;
  readonly workload: KubeObject | undefined;
}

/** Calls `onChange` after every event (coalesced: a burst of events gives one call). */
export class RolloutWatcher {
  readonly #conn: Connection;
  readonly #rollouts: Informer<KubeObject>;
  readonly #workloads = new Map<string, Informer<KubeObject>>();
  readonly #onChange: () => void;
  readonly #single: boolean;
  #timer: NodeJS.Timeout | undefined;

  /** `name` undefined: every Rollout of the connection's namespace (or all with -A). */
  constructor(conn: Connection, name: string | undefined, onChange: () => void) {
    this.#conn = conn;
    this.#onChange = onChange;
    this.#single = name !== undefined;
    this.#rollouts = new Informer<KubeObject>({
      transport: conn.client,
      path: collectionPath(ROLLOUTS, conn.allNamespaces ? undefined : conn.namespace),
      ...(name === undefined ? {} : { fieldSelector: `metadata.name=${name}` }),
    });
    const changed = () => this.#changed();
    this.#rollouts.onAdd(changed);
    this.#rollouts.onUpdate(changed);
    this.#rollouts.onDelete(changed);
  }

  /** Starts watching and resolves once the first LISTs are in (the workload's: at most `workloadWaitMs`). */
  async start(workloadWaitMs = 3000): Promise<void> {
    this.#rollouts.start();
    await this.#rollouts.waitForSync();
    this.current(); // starts the workload informer of a named Rollout
    const syncs = [...this.#workloads.values()].map((i) => i.waitForSync());
    let timer: NodeJS.Timeout | undefined;
    // A workload the user may not list must not hold the view back: draw without it.
    const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, workloadWaitMs)));
    await Promise.race([Promise.all(syncs), cap]);
    clearTimeout(timer);
  }

  /** The Rollouts as last seen, sorted by namespace/name. */
  current(): WatchedRollout[] {
    return this.#rollouts.store
      .list()
      .sort((a, b) => objectKey(a).localeCompare(objectKey(b)))
      .map((raw) => {
        const rollout = asRollout({ kind: "Rollout", ...raw });
        return { raw, rollout, workload: this.#workloadOf(rollout) };
      });
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await Promise.all([this.#rollouts.stop(), ...[...this.#workloads.values()].map((i) => i.stop())]);
  }

  #changed(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onChange();
    }, 50);
  }

  /** The workload from its own informer, started on first use (one named Rollout only). */
  #workloadOf(rollout: Rollout): KubeObject | undefined {
    if (!this.#single) return undefined;
    const ref = rollout.spec.workloadRef;
    const namespace = rollout.metadata.namespace ?? this.#conn.namespace;
    const key = `${ref.kind}/${namespace}/${ref.name}`;
    let informer = this.#workloads.get(key);
    if (informer === undefined) {
      informer = new Informer<KubeObject>({
        transport: this.#conn.client,
        path: collectionPath(workloadResource(ref), namespace),
        fieldSelector: `metadata.name=${ref.name}`,
      });
      const changed = () => this.#changed();
      informer.onAdd(changed);
      informer.onUpdate(changed);
      informer.onDelete(changed);
      informer.start();
      this.#workloads.set(key, informer);
    }
    return informer.store.getByName(namespace, ref.name);
  }
}
