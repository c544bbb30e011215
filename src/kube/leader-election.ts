// Leader election on a coordination.k8s.io/v1 Lease, shaped like client-go's: acquire when the lease
// is free or its holder has not renewed for a lease duration (judged by our own clock since we last saw
// the record change, never by comparing remote timestamps), renew every retry period, give up when a
// renewal has not succeeded within the renew deadline. Every write carries the resourceVersion it
// was computed from, so two candidates can never both win.

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { jittered, sleep } from "./backoff.ts";
import type { ApiTransport } from "./client.ts";
import { isNotFound } from "./errors.ts";
import { SILENT_LOGGER, errorFields } from "./log.ts";
import type { KubeLogger } from "./log.ts";
import { NOOP_LEADER_ELECTION_METRICS } from "./metrics.ts";
import type { LeaderElectionMetrics } from "./metrics.ts";
import { formatMicroTime } from "./micro-time.ts";
import { LEASES, collectionPath, objectPath } from "./resources.ts";

export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

export interface Lease {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
  };
  readonly spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  readonly transport: ApiTransport;
  readonly namespace: string;
  readonly name: string;
  /** Unique per process; defaults to `<hostname>_<uuid>`. */
  readonly identity?: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /** Hand the lease back on stop() so a successor need not wait out the lease. Default true. */
  readonly releaseOnStop?: boolean;
  /** Called once leadership is won; `signal` aborts when it is lost or the elector stops. */
  readonly onStartedLeading?: (signal: AbortSignal) => void;
  /** Called once when leadership ends (lost or released). Callers usually exit the process. */
  readonly onStoppedLeading?: () => void;
  /** Called when a different holder is observed. */
  readonly onNewLeader?: (identity: string) => void;
  readonly logger?: KubeLogger;
  readonly metrics?: LeaderElectionMetrics;
  /** Wall clock for the timestamps written into the Lease. */
  readonly wallClock?: () => Date;
}

const JITTER = 1.2;

export class LeaderElector {
  readonly identity: string;
  readonly #o: LeaderElectorOptions;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  readonly #log: KubeLogger;
  readonly #metrics: LeaderElectionMetrics;
  readonly #stop = new AbortController();
  #leading: AbortController | undefined;
  #lease: Lease | undefined;
  /** The last spec seen and when (monotonic ms) we first saw it: the basis for expiry. */
  #observed: { spec: string; at: number } | undefined;
  #lastHolder = "";
  #running: Promise<void> | undefined;
  #releaseOnStop: boolean;

  constructor(options: LeaderElectorOptions) {
    this.#o = options;
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.#leaseMs = options.leaseDurationMs ?? 15_000;
    this.#renewMs = options.renewDeadlineMs ?? 10_000;
    this.#retryMs = options.retryPeriodMs ?? 2_000;
    this.#log = options.logger ?? SILENT_LOGGER;
    this.#metrics = options.metrics ?? NOOP_LEADER_ELECTION_METRICS;
    this.#releaseOnStop = options.releaseOnStop ?? true;
    if (this.#leaseMs <= this.#renewMs) {
      throw new Error(
        `leader election: lease duration (${this.#leaseMs} ms) must be longer than the renew deadline (${this.#renewMs} ms)`,
      );
    }
    if (this.#renewMs <= JITTER * this.#retryMs) {
      throw new Error(
        `leader election: renew deadline (${this.#renewMs} ms) must exceed ${JITTER} × retry period (${this.#retryMs} ms)`,
      );
    }
    if (options.identity === "") throw new Error("leader election: identity must not be empty");
  }

  isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** Campaigns in the background; resolves `done` when leadership is lost or stop() is called. */
  start(): Promise<void> {
    this.#running ??= this.#run();
    return this.#running;
  }

  /** Stops campaigning/renewing; releases the lease if we hold it (unless release is false). */
  async stop({ release = this.#releaseOnStop }: { release?: boolean } = {}): Promise<void> {
    this.#releaseOnStop = release;
    this.#stop.abort();
    await this.#running;
    if (this.#leading === undefined) return;
    if (release) await this.#release();
    this.#lose("stopped");
  }

  get #path(): string {
    return objectPath(LEASES, this.#o.name, this.#o.namespace);
  }

  async #run(): Promise<void> {
    this.#metrics.leading(false);
    // Campaign.
    let acquired = false;
    while (!acquired && !this.#stop.signal.aborted) {
      acquired = await this.#tryAcquireOrRenew(AbortSignal.timeout(Math.ceil(this.#renewMs)));
      if (!acquired) await sleep(jittered(this.#retryMs, JITTER - 1), this.#stop.signal);
    }
    if (this.#stop.signal.aborted) {
      // stop() raced a successful acquire: hand the lease straight back rather than sit on it.
      if (acquired && this.#releaseOnStop) await this.#release();
      return;
    }
    this.#leading = new AbortController();
    this.#metrics.leading(true);
    this.#log.info(
      { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.identity },
      "became leader",
    );
    this.#safely(() => this.#o.onStartedLeading?.(this.#leading?.signal ?? AbortSignal.abort()));
    // Renew: each round must succeed within the renew deadline, retrying every retry period.
    while (!this.#stop.signal.aborted) {
      await sleep(this.#retryMs, this.#stop.signal);
      if (this.#stop.signal.aborted) return;
      const deadline = performance.now() + this.#renewMs;
      let renewed = false;
      while (!renewed && !this.#stop.signal.aborted && performance.now() < deadline) {
        const remaining = Math.max(1, Math.ceil(deadline - performance.now()));
        renewed = await this.#tryAcquireOrRenew(AbortSignal.timeout(remaining));
        if (!renewed)
          await sleep(Math.min(this.#retryMs, Math.max(0, deadline - performance.now())), this.#stop.signal);
      }
      if (this.#stop.signal.aborted) return;
      if (!renewed) {
        this.#log.error(
          {
            lease: `${this.#o.namespace}/${this.#o.name}`,
            identity: this.identity,
            renewDeadlineMs: this.#renewMs,
          },
          "leader election lost: the lease could not be renewed within the renew deadline",
        );
        this.#lose("lost");
        return;
      }
    }
  }

  /** One attempt; true when we hold the lease afterwards. Never throws. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = formatMicroTime((this.#o.wallClock ?? (() => new Date()))());
    try {
      // Fast path: we hold it and our copy is current, so one PUT renews it (a 409 sends us the slow way).
      if (this.#leading !== undefined && this.#lease?.spec?.holderIdentity === this.identity) {
        const renewed = await this.#put(this.#lease, { ...this.#lease.spec, renewTime: now }, signal).catch(
          () => undefined,
        );
        if (renewed !== undefined) return true;
      }
      let current: Lease;
      try {
        current = await this.#o.transport.request<Lease>({ method: "GET", path: this.#path, signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await this.#o.transport.request<Lease>({
          method: "POST",
          path: collectionPath(LEASES, this.#o.namespace),
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: this.#o.name, namespace: this.#o.namespace },
            spec: this.#spec(now, now, 0),
          },
          signal,
        });
        this.#remember(created);
        return true;
      }
      this.#remember(current);
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? "";
      const durationMs = (spec.leaseDurationSeconds ?? this.#leaseMs / 1000) * 1000;
      const observedAt = this.#observed?.at ?? performance.now();
      if (holder !== "" && holder !== this.identity && performance.now() < observedAt + durationMs)
        return false;
      const ours = holder === this.identity;
      const next = this.#spec(
        ours ? (spec.acquireTime ?? now) : now,
        now,
        ours ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      );
      await this.#put(current, next, signal);
      return true;
    } catch (err) {
      this.#log.debug(
        { lease: `${this.#o.namespace}/${this.#o.name}`, ...errorFields(err) },
        "leader election attempt failed",
      );
      return false;
    }
  }

  #spec(acquireTime: string, renewTime: string, leaseTransitions: number): LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#leaseMs / 1000),
      acquireTime,
      renewTime,
      leaseTransitions,
    };
  }

  async #put(base: Lease, spec: LeaseSpec, signal: AbortSignal): Promise<Lease> {
    const updated = await this.#o.transport.request<Lease>({
      method: "PUT",
      path: this.#path,
      body: { ...base, spec },
      signal,
    });
    this.#remember(updated);
    return updated;
  }

  #remember(lease: Lease): void {
    this.#lease = lease;
    const spec = JSON.stringify(lease.spec ?? {});
    if (this.#observed?.spec !== spec) this.#observed = { spec, at: performance.now() };
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder !== "" && holder !== this.#lastHolder) {
      this.#lastHolder = holder;
      this.#safely(() => this.#o.onNewLeader?.(holder));
    }
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined || lease.spec?.holderIdentity !== this.identity) return;
    const now = formatMicroTime((this.#o.wallClock ?? (() => new Date()))());
    try {
      // client-go's release: empty holder and a 1 s duration so a successor can take it at once.
      await this.#put(
        lease,
        {
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        },
        AbortSignal.timeout(Math.ceil(this.#renewMs)),
      );
    } catch (err) {
      this.#log.warn(
        { lease: `${this.#o.namespace}/${this.#o.name}`, ...errorFields(err) },
        "could not release the lease; a successor will wait for it to expire",
      );
    }
  }

  #lose(why: "lost" | "stopped"): void {
    const leading = this.#leading;
    if (leading === undefined) return;
    this.#leading = undefined;
    this.#metrics.leading(false);
    leading.abort(new Error(`leadership ${why}`));
    this.#safely(() => this.#o.onStoppedLeading?.());
  }

  #safely(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log.error({ ...errorFields(err) }, "a leader election callback failed");
    }
  }
}
