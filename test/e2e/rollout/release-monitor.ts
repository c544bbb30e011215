// Watches a release as it happens: every pod event and every Rollout status change. Checks the rolling
// bounds on every pod event (pods ≤ N + maxSurge, ready ≥ N − maxUnavailable; terminating pods do not count) and records, per step of the
// Rollout's status, the most canary pods seen — so a test can compare every step with `slipway plan`.
import { Watch, type V1Pod, type V1StatefulSet } from "@kubernetes/client-node";
import { GROUP, PLURAL_ROLLOUTS, VERSION } from "../../../src/api/names.ts";
import type { RolloutStatus } from "../../../src/api/rollout-status.ts";
import { clients, isPodReady, podRevision } from "../lib/index.ts";
import { getRollout } from "./fixtures.ts";
import { podPicture, VerifiedWatch } from "./watch-verifier.ts";

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
  #status: RolloutStatus | undefined;
  #rolloutVersion: string | undefined;
  #armed = false;
  /** Pod deletions seen, in order (for failure messages). */
  readonly podEnds: string[] = [];
  readonly #podWatch: VerifiedWatch;
  readonly #rolloutWatch: VerifiedWatch;
  readonly #namespace: string;
  readonly #rollout: string;
  #bounds: Bounds;

  constructor(namespace: string, rollout: string, bounds: Bounds) {
    this.#namespace = namespace;
    this.#rollout = rollout;
    this.#bounds = bounds;
    this.#podWatch = new VerifiedWatch({
      what: `the pods of ${namespace}`,
      open: (deliver, ended) => this.#watchPods(deliver, ended),
      watched: () => podPicture(this.#pods.values()),
      read: async () => podPicture((await clients().core.listNamespacedPod({ namespace })).items),
    });
    this.#rolloutWatch = new VerifiedWatch({
      what: `Rollout ${namespace}/${rollout}`,
      open: (deliver, ended) => this.#watchRollout(deliver, ended),
      watched: () => this.#rolloutVersion ?? "",
      read: async () => (await getRollout(namespace, rollout))?.metadata.resourceVersion ?? "",
    });
  }

  /** New bounds from now on (the workload was scaled: N and the bounds derived from it changed). */
  setBounds(bounds: Bounds): void {
    this.#bounds = bounds;
    this.#check();
  }

  /** Watches re-opened after they ended or were replaced (reported in failures). */
  get restarts(): number {
    return this.#podWatch.restarts + this.#rolloutWatch.restarts;
  }

  /** Watches found silently missing events, and replaced (see watch-verifier.ts). */
  get stalls(): readonly string[] {
    return [...this.#podWatch.stalls, ...this.#rolloutWatch.stalls];
  }

  async start(): Promise<void> {
    await Promise.all([this.#podWatch.start(), this.#rolloutWatch.start()]);
    this.#armed = true;
    this.#check();
  }

  /**
   * LIST then WATCH the namespace's pods. VerifiedWatch re-opens it when it ends (a server timeout, a dropped
   * connection on a loaded machine) and replaces it when it goes silent, so the monitor never goes blind.
   */
  async #watchPods(deliver: (apply: () => void) => void, ended: () => void): Promise<AbortController> {
    const ns = this.#namespace;
    const listed = await clients().core.listNamespacedPod({ namespace: ns });
    deliver(() => {
      this.#pods.clear();
      for (const pod of listed.items) this.#pods.set(pod.metadata?.name ?? "", pod);
      // A LIST may be served a little behind the events already seen: compare canary counts afresh from here.
      this.#lastCanary = undefined;
      this.#check();
    });
    return new Watch(clients().kc).watch(
      `/api/v1/namespaces/${ns}/pods`,
      { resourceVersion: listed.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, pod: V1Pod) =>
        deliver(() => {
          if (type === "BOOKMARK") return;
          const name = pod.metadata?.name ?? "";
          if (type === "DELETED" || pod.metadata?.deletionTimestamp !== undefined) {
            this.podEnds.push(`${type} ${name} (${podRevision(pod)})`);
          }
          if (type === "DELETED") this.#pods.delete(name);
          else this.#pods.set(name, pod);
          this.#check();
        }),
      ended,
    );
  }

  async #watchRollout(deliver: (apply: () => void) => void, ended: () => void): Promise<AbortController> {
    return new Watch(clients().kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${this.#namespace}/${PLURAL_ROLLOUTS}`,
      { fieldSelector: `metadata.name=${this.#rollout}` },
      (type, rollout: { metadata?: { resourceVersion?: string }; status?: RolloutStatus }) =>
        deliver(() => {
          if (type === "BOOKMARK") return;
          // A deleted Rollout reads back as "" (getRollout answers undefined).
          this.#rolloutVersion = type === "DELETED" ? "" : rollout.metadata?.resourceVersion;
          this.#observe(rollout.status);
        }),
      ended,
    );
  }

  #observe(s: RolloutStatus | undefined): void {
    this.#status = s;
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
  }

  stop(): void {
    this.#podWatch.stop();
    this.#rolloutWatch.stop();
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
          `${s.canaryRevision}: ${last.count} → ${canary} at step ${s.currentStepIndex} (watch restarts: ${this.restarts}; last pod ends: ${this.podEnds.slice(-4).join(", ")})`,
        );
      }
      this.#lastCanary = { revision: s.canaryRevision, count: canary };
      const seen = this.maxCanaryByStep.get(s.currentStepIndex) ?? 0;
      this.maxCanaryByStep.set(s.currentStepIndex, Math.max(seen, canary));
    }
  }
}

/**
 * Every value a StatefulSet's partition takes (from a watch). During a release that is never aborted the
 * partition only goes down (held at its maximum, then lowered step by step): a rise would be a batch undone.
 * This is the direct measure for StatefulSets; pod counts are not, because on kwok a pod deleted and
 * re-created under the same name can be removed once more by the stage that confirms the first deletion.
 */
export async function watchPartitions(
  namespace: string,
  name: string,
): Promise<{ values: number[]; stop(): void }> {
  const values: number[] = [];
  let stopped = false;
  let abort: AbortController | undefined;
  const open = async (): Promise<void> => {
    abort = await new Watch(clients().kc).watch(
      `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
      { fieldSelector: `metadata.name=${name}` },
      (_type, sts: V1StatefulSet) => {
        const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
        if (values.at(-1) !== partition) values.push(partition);
      },
      () => {
        if (!stopped) setTimeout(() => void open().catch(() => undefined), 100);
      },
    );
  };
  await open();
  return {
    values,
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}
