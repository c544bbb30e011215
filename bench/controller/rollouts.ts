// The benchmark watches Rollouts (one informer, every namespace) instead of polling them: waiting costs the
// API server nothing, and a condition is seen as soon as the watch delivers it.
import type { RolloutStatus } from "../../src/api/rollout-status.ts";
import type { KubeClient } from "../../src/kube/client.ts";
import { Informer } from "../../src/kube/informer.ts";
import { collectionPath, ROLLOUTS, type KubeObject } from "../../src/kube/resources.ts";

export interface RolloutView extends KubeObject {
  readonly status?: RolloutStatus;
}

export class RolloutWatch {
  readonly #informer: Informer<RolloutView>;
  readonly #waiters = new Set<() => void>();

  constructor(client: KubeClient) {
    this.#informer = new Informer<RolloutView>({ transport: client, path: collectionPath(ROLLOUTS) });
    const wake = () => {
      for (const waiter of [...this.#waiters]) waiter();
    };
    this.#informer.onAdd(wake);
    this.#informer.onUpdate(wake);
    this.#informer.onDelete(wake);
  }

  async start(): Promise<void> {
    this.#informer.start();
    await this.#informer.waitForSync();
  }

  stop(): Promise<void> {
    return this.#informer.stop();
  }

  get(namespace: string, name: string): RolloutView | undefined {
    return this.#informer.store.getByName(namespace, name);
  }

  list(namespace?: string): RolloutView[] {
    return this.#informer.store.list(namespace);
  }

  /** Resolves once `check()` holds (checked on every Rollout event); rejects with `describe()` on timeout. */
  until(
    what: string,
    check: () => boolean,
    timeoutMs: number,
    describe: () => string = () => "",
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!check()) return;
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`bench: timed out after ${timeoutMs / 1000} s waiting for ${what}; ${describe()}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
      waiter();
    });
  }

  /** Waits until the Rollout's status satisfies `check`. */
  untilStatus(
    namespace: string,
    name: string,
    what: string,
    check: (s: RolloutStatus) => boolean,
    timeoutMs = 120_000,
  ): Promise<void> {
    return this.until(
      `Rollout ${namespace}/${name}: ${what}`,
      () => {
        const s = this.get(namespace, name)?.status;
        return s !== undefined && check(s);
      },
      timeoutMs,
      () => JSON.stringify(summary(this.get(namespace, name)?.status)),
    );
  }
}

export function summary(s: RolloutStatus | undefined): Record<string, unknown> {
  return {
    phase: s?.phase,
    step: s?.currentStepIndex,
    state: s?.currentStepState,
    message: s?.message,
  };
}

export const isHealthyAttached = (s: RolloutStatus): boolean =>
  s.phase === "Healthy" &&
  s.conditions?.some((c) => c.type === "WorkloadAttached" && c.status === "True") === true;
