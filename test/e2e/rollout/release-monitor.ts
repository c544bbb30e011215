// Watches a release as it happens: every pod event and every Rollout status change. Checks the rolling
// bounds on every pod event (pods ≤ N + maxSurge, ready ≥ N − maxUnavailable; terminating pods do not count) and records, per step of the
// Rollout's status, the most canary pods seen — so a test can compare every step with `slipway plan`.
import { Watch, type V1Pod } from "@kubernetes/client-node";
import { GROUP, PLURAL_ROLLOUTS, VERSION } from "../../../src/api/names.ts";
import type { RolloutStatus } from "../../../src/api/rollout-status.ts";
import { clients, isPodReady, podRevision } from "../lib/index.ts";

export interface Bounds {
  readonly replicas: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

export class ReleaseMonitor {
  readonly violations: string[] = [];
  /** Step index (status.currentStepIndex) → the most canary pods seen while the status showed it. */
  readonly maxCanaryByStep = new Map<number, number>();
  /** Every distinct revision count seen at once, the largest. */
  maxRevisionsAtOnce = 0;
  maxTotal = 0;
  minReady = Number.POSITIVE_INFINITY;
  /** Status snapshots in arrival order (phase, step, state, canary revision), for timelines. */
  readonly timeline: { at: number; phase?: string; step?: number; state?: string; canary?: string }[] = [];
  /** Step index → every `startedAt` status showed for it (a step that ran twice shows two). */
  readonly stepStarts = new Map<number, Set<string>>();
  /** Every "paused until <time>" the status announced (a timed pause restarted from zero shows two). */
  readonly pausedUntil = new Set<string>();
  /** Canary pods went down while a release was progressing (a batch re-done or undone). */
  readonly canaryDecreases: string[] = [];
  #lastCanary: { revision: string; count: number } | undefined;
  readonly #pods = new Map<string, V1Pod>();
  readonly #aborts: AbortController[] = [];
  #status: RolloutStatus | undefined;
  #armed = false;
  readonly #namespace: string;
  readonly #rollout: string;
  readonly #bounds: Bounds;

  constructor(namespace: string, rollout: string, bounds: Bounds) {
    this.#namespace = namespace;
    this.#rollout = rollout;
    this.#bounds = bounds;
  }

  async start(): Promise<void> {
    const watch = new Watch(clients().kc);
    const ns = this.#namespace;
    const listed = await clients().core.listNamespacedPod({ namespace: ns });
    for (const pod of listed.items) this.#pods.set(pod.metadata?.name ?? "", pod);
    this.#aborts.push(
      await watch.watch(
        `/api/v1/namespaces/${ns}/pods`,
        { resourceVersion: listed.metadata?.resourceVersion },
        (type, pod: V1Pod) => {
          const name = pod.metadata?.name ?? "";
          if (type === "DELETED") this.#pods.delete(name);
          else this.#pods.set(name, pod);
          this.#check();
        },
        () => undefined,
      ),
    );
    this.#aborts.push(
      await watch.watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL_ROLLOUTS}`,
        { fieldSelector: `metadata.name=${this.#rollout}` },
        (_type, rollout: { status?: RolloutStatus }) => {
          this.#status = rollout.status;
          const s = rollout.status;
          this.timeline.push({
            at: Date.now(),
            phase: s?.phase,
            step: s?.currentStepIndex,
            state: s?.currentStepState,
            canary: s?.canaryRevision,
          });
          const until = /paused until (\S+Z)/.exec(s?.message ?? "")?.[1];
          if (until !== undefined) this.pausedUntil.add(until);
          for (const step of s?.steps ?? []) {
            if (step.startedAt === undefined) continue;
            const starts = this.stepStarts.get(step.index) ?? new Set<string>();
            starts.add(step.startedAt);
            this.stepStarts.set(step.index, starts);
          }
          this.#check();
        },
        () => undefined,
      ),
    );
    this.#armed = true;
    this.#check();
  }

  stop(): void {
    for (const a of this.#aborts) a.abort();
  }

  /** Pods per revision right now (from the watch). */
  counts(): Map<string, { total: number; ready: number }> {
    const out = new Map<string, { total: number; ready: number }>();
    for (const pod of this.#pods.values()) {
      if (pod.metadata?.deletionTimestamp !== undefined) continue;
      const rev = podRevision(pod);
      const c = out.get(rev) ?? { total: 0, ready: 0 };
      c.total++;
      if (isPodReady(pod)) c.ready++;
      out.set(rev, c);
    }
    return out;
  }

  #check(): void {
    if (!this.#armed) return;
    const { replicas, maxSurge, maxUnavailable } = this.#bounds;
    // Counted as Kubernetes counts surge and availability: pods that are not terminating.
    const live = [...this.#pods.values()].filter((p) => p.metadata?.deletionTimestamp === undefined);
    const total = live.length;
    const ready = live.filter(isPodReady).length;
    const counts = this.counts();
    const revisions = [...counts.values()].filter((c) => c.total > 0).length;
    this.maxTotal = Math.max(this.maxTotal, total);
    this.minReady = Math.min(this.minReady, ready);
    this.maxRevisionsAtOnce = Math.max(this.maxRevisionsAtOnce, revisions);
    const picture = () => [...counts].map(([rev, c]) => `${rev}:${c.ready}/${c.total}`).join(" ");
    if (total > replicas + maxSurge)
      this.violations.push(`${total} pods > N + maxSurge = ${replicas + maxSurge} (${picture()})`);
    if (ready < replicas - maxUnavailable) {
      this.violations.push(
        `${ready} ready pods < N − maxUnavailable = ${replicas - maxUnavailable} (${picture()})`,
      );
    }
    const s = this.#status;
    if (s?.canaryRevision !== undefined && s.currentStepIndex !== undefined && s.currentStepIndex > 0) {
      const canary = counts.get(s.canaryRevision)?.total ?? 0;
      const last = this.#lastCanary;
      if (s.phase === "Progressing" && last?.revision === s.canaryRevision && canary < last.count) {
        this.canaryDecreases.push(
          `${s.canaryRevision}: ${last.count} → ${canary} at step ${s.currentStepIndex}`,
        );
      }
      this.#lastCanary = { revision: s.canaryRevision, count: canary };
      const seen = this.maxCanaryByStep.get(s.currentStepIndex) ?? 0;
      this.maxCanaryByStep.set(s.currentStepIndex, Math.max(seen, canary));
    }
  }
}
