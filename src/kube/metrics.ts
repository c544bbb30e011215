// Metric sinks for the edge code. The queue, informer and elector talk to small interfaces (no-op by
// default, easy to assert in tests); KubeMetrics backs them with prom-client under the names
// controller-runtime uses, so existing dashboards work.

import { Counter, Gauge, Histogram, exponentialBuckets } from "prom-client";
import type { Registry } from "prom-client";

export interface WorkQueueMetrics {
  /** A key became pending (not counted when it was already pending). */
  add(): void;
  depth(pending: number): void;
  /** Time a key waited between being added and handed to a worker. */
  queueDuration(seconds: number): void;
  /** Time a worker held a key (get → done). */
  workDuration(seconds: number): void;
  /** A delayed or rate-limited re-add. */
  retry(): void;
  /** Scrape-time access to how long each in-flight key has been worked on, in seconds. */
  trackInFlight(ages: () => readonly number[]): void;
}

export interface InformerMetrics {
  relist(): void;
  watchRestart(reason: WatchRestartReason): void;
  /** An event or bookmark arrived on the watch. */
  watchEvent(): void;
}

export type WatchRestartReason = "closed" | "error" | "expired" | "stalled";

export interface LeaderElectionMetrics {
  leading(isLeader: boolean): void;
}

export const NOOP_WORK_QUEUE_METRICS: WorkQueueMetrics = {
  add: () => {},
  depth: () => {},
  queueDuration: () => {},
  workDuration: () => {},
  retry: () => {},
  trackInFlight: () => {},
};
export const NOOP_INFORMER_METRICS: InformerMetrics = {
  relist: () => {},
  watchRestart: () => {},
  watchEvent: () => {},
};
export const NOOP_LEADER_ELECTION_METRICS: LeaderElectionMetrics = { leading: () => {} };

const DURATION_BUCKETS = exponentialBuckets(1e-8, 10, 12);
const QUEUE_LABELS = ["name", "controller"] as const;

/** One set of metric objects per registry; hands out label-bound sinks. */
export class KubeMetrics {
  readonly #depth: Gauge<"name" | "controller">;
  readonly #adds: Counter<"name" | "controller">;
  readonly #queueDuration: Histogram<"name" | "controller">;
  readonly #workDuration: Histogram<"name" | "controller">;
  readonly #retries: Counter<"name" | "controller">;
  readonly #leader: Gauge<"name">;
  readonly #relists: Counter<"resource">;
  readonly #watchRestarts: Counter<"resource" | "reason">;
  readonly #lastWatchEvent: Gauge<"resource">;
  readonly #inFlight = new Map<
    string,
    { labels: { name: string; controller: string }; ages: () => readonly number[] }
  >();

  constructor(registry: Registry) {
    const registers = [registry];
    const inFlight = this.#inFlight;
    this.#depth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: QUEUE_LABELS,
      registers,
    });
    this.#adds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: QUEUE_LABELS,
      registers,
    });
    this.#queueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: QUEUE_LABELS,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes",
      labelNames: QUEUE_LABELS,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#retries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames: QUEUE_LABELS,
      registers,
    });
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
      labelNames: QUEUE_LABELS,
      registers,
      collect() {
        this.reset();
        for (const { labels, ages } of inFlight.values())
          this.set(
            labels,
            ages().reduce((a, b) => a + b, 0),
          );
      },
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running",
      labelNames: QUEUE_LABELS,
      registers,
      collect() {
        this.reset();
        for (const { labels, ages } of inFlight.values()) this.set(labels, Math.max(0, ...ages()));
      },
    });
    this.#leader = new Gauge({
      name: "leader_election_master_status",
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master",
      labelNames: ["name"],
      registers,
    });
    this.#relists = new Counter({
      name: "slipway_informer_relists_total",
      help: "Full LISTs done by informers (start, 410 Gone, errors)",
      labelNames: ["resource"],
      registers,
    });
    this.#watchRestarts = new Counter({
      name: "slipway_informer_watch_restarts_total",
      help: "Watches re-opened by informers, by reason (closed by server, error, expired resourceVersion, stalled)",
      labelNames: ["resource", "reason"],
      registers,
    });
    this.#lastWatchEvent = new Gauge({
      name: "slipway_informer_last_watch_event_timestamp_seconds",
      help: "Unix time of the last event or bookmark an informer's watch delivered",
      labelNames: ["resource"],
      registers,
    });
  }

  workQueue(name: string, controller: string = name): WorkQueueMetrics {
    const labels = { name, controller };
    const key = JSON.stringify(labels);
    return {
      add: () => this.#adds.inc(labels),
      depth: (pending) => this.#depth.set(labels, pending),
      queueDuration: (s) => this.#queueDuration.observe(labels, s),
      workDuration: (s) => this.#workDuration.observe(labels, s),
      retry: () => this.#retries.inc(labels),
      trackInFlight: (ages) => this.#inFlight.set(key, { labels, ages }),
    };
  }

  informer(resource: string): InformerMetrics {
    return {
      relist: () => this.#relists.inc({ resource }),
      watchRestart: (reason) => this.#watchRestarts.inc({ resource, reason }),
      watchEvent: () => this.#lastWatchEvent.set({ resource }, Date.now() / 1000),
    };
  }

  leaderElection(name: string): LeaderElectionMetrics {
    return { leading: (isLeader) => this.#leader.set({ name }, isLeader ? 1 : 0) };
  }
}
