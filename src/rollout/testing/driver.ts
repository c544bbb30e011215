// Drives a FakeWorld with the real reconciler: reconcile, let the world settle, repeat; when nothing changes,
// jump the clock to the next timer the reconciler asked for (as the work queue's delayed re-queue would).
import { createReconciler, type ReconcileResult } from "../reconcile.ts";
import { canonicalJson } from "../status-diff.ts";
import type { FakeWorld } from "./fake-world.ts";

export class Driver {
  readonly world: FakeWorld;
  now: number;
  reconciles = 0;
  readonly #reconciler;

  constructor(world: FakeWorld, now = Date.parse("2024-05-01T12:00:00Z")) {
    this.world = world;
    this.now = now;
    this.#reconciler = createReconciler(world.io());
  }

  async once(): Promise<ReconcileResult | "crashed"> {
    this.reconciles++;
    try {
      const result = await this.#reconciler.reconcile(this.world.object(), this.now);
      this.world.settle();
      this.#noteMessages();
      return result;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("killed")) {
        this.world.settle();
        return "crashed";
      }
      throw error;
    }
  }

  /** Every distinct text a person reads in status and Events, in the order first seen. */
  readonly messages = new Set<string>();

  #noteMessages(): void {
    const status = this.world.rollout.status;
    const texts = [
      status?.message,
      ...(status?.conditions ?? []).map((c) => c.message),
      ...(status?.steps ?? []).map((s) => s.message),
      ...(status?.history ?? []).map((h) => h.reason),
      ...this.world.events.map((e) => e.message),
    ];
    for (const text of texts) if (text !== undefined && text !== "") this.messages.add(text);
  }

  #fingerprint(): string {
    const w = this.world;
    return canonicalJson({
      status: w.rollout.status,
      pods: [...w.workload.pods],
      held: w.workload.held,
      annotations: w.annotations,
      finalizers: w.finalizers,
    });
  }

  /**
   * Reconciles until `done()` holds or the world is quiet with no timer left. Advances the clock only when a
   * reconcile changed nothing (so timers never fire early). Throws after `limit` reconciles.
   */
  async until(done: () => boolean, limit = 200): Promise<void> {
    for (let i = 0; i < limit; i++) {
      if (done()) return;
      const before = this.#fingerprint();
      const result = await this.once();
      if (done()) return;
      if (this.#fingerprint() !== before || result === "crashed" || (result.conflict ?? false)) continue;
      const wait = result.requeueAfterMs;
      if (wait === undefined) return;
      this.now += Math.max(wait, 1);
    }
    throw new Error(
      `not done after ${limit} reconciles; status: ${JSON.stringify(this.world.status, null, 1)}`,
    );
  }

  /** Reconciles until a reconcile changes nothing, without moving the clock. */
  async quiet(limit = 100): Promise<void> {
    for (let i = 0; i < limit; i++) {
      const before = this.#fingerprint();
      const result = await this.once();
      if (this.#fingerprint() === before && result !== "crashed" && result.conflict !== true) return;
    }
    throw new Error(
      `still changing after ${limit} reconciles; status: ${JSON.stringify(this.world.status, null, 1)}`,
    );
  }
}
