// An in-memory world for reconciler tests: one Rollout and one workload whose pods move the way a held
// workload's would. Writes are plain Write values whose patch carries the fake operation; `settle()` plays the
// workload's controller and the kubelet. `crashBeforeStatus` drops the next status write, as a kill -9 between
// the workload writes and the status write would.
import type { Rollout } from "../../api/rollout.ts";
import type { RolloutStatus } from "../../api/rollout-status.ts";
import type { Write } from "../../workloads/types.ts";
import type { RolloutEvent } from "../events.ts";
import type { ReconcileIO, RolloutObject, RolloutWrite } from "../io.ts";
import type { AnalysisPorts } from "../steps/analysis.ts";
import type { ObservedTarget, WorkloadSnapshot } from "../workload-port.ts";

export interface FakeWorkload {
  replicas: number;
  /** Revision of the workload's template. */
  template: string;
  stable: string;
  held: boolean;
  inRelease: boolean;
  labelled: boolean;
  /** Pods per revision, and how many of them are ready. */
  pods: Map<string, number>;
  ready: Map<string, number>;
  /** Revisions whose pods never become ready. */
  broken: Set<string>;
  maxSurge: number;
}

type FakeOp =
  | { op: "scale"; revision: string; to: number }
  | { op: "unhold" }
  | { op: "cleanup" }
  | { op: "restore" }
  | { op: "hold" }
  | { op: "revert" };

export class FakeWorld {
  rollout: Rollout;
  resourceVersion = 1;
  finalizers: string[] = [];
  deleting = false;
  annotations: Record<string, string> = {};
  readonly events: RolloutEvent[] = [];
  readonly writes: FakeOp[] = [];
  workload: FakeWorkload;
  crashBeforeStatus = false;
  /** Templates and provider for analysis gates (tests that use analysis set them). */
  analysis: AnalysisPorts | undefined = undefined;
  crashBeforeMetadata = false;
  /** Largest number of pods of distinct revisions seen at once, and largest total. */
  maxRevisionsAtOnce = 0;
  maxTotalPods = 0;

  constructor(rollout: Rollout, replicas: number, stable = "v1") {
    this.rollout = rollout;
    this.workload = {
      replicas,
      template: stable,
      stable,
      held: false,
      inRelease: false,
      labelled: false,
      pods: new Map([[stable, replicas]]),
      ready: new Map([[stable, replicas]]),
      broken: new Set(),
      maxSurge: 1,
    };
  }

  /** A user sets a new template; the webhook holds it (as webhook/hold.ts does). */
  setTemplate(revision: string): void {
    const w = this.workload;
    if (revision === w.template) return;
    w.template = revision;
    if (this.rolloutLive() && w.labelled) {
      w.held = true;
      w.inRelease = true;
    }
  }

  rolloutLive(): boolean {
    return !this.deleting && this.rollout.spec.disabled !== true;
  }

  object(): RolloutObject {
    return {
      rollout: this.rollout,
      resourceVersion: String(this.resourceVersion),
      uid: "uid-1",
      generation: 1,
      deletionTimestamp: this.deleting ? "2024-01-01T00:00:00Z" : undefined,
      finalizers: this.finalizers,
      annotations: this.annotations,
      rawWorkflow: this.rollout.status?.workflow,
      raw: this.rollout as unknown as Record<string, unknown>,
    };
  }

  get status(): RolloutStatus | undefined {
    return this.rollout.status;
  }

  podsOf(revision: string): number {
    return this.workload.pods.get(revision) ?? 0;
  }

  /** Plays the workload controller and the kubelet: held → nothing moves by itself; released → all to template. */
  settle(): void {
    const w = this.workload;
    if (!w.held) {
      for (const rev of [...w.pods.keys()]) if (rev !== w.template) w.pods.set(rev, 0);
      w.pods.set(w.template, w.replicas);
    }
    for (const [rev, n] of w.pods) w.ready.set(rev, w.broken.has(rev) ? 0 : n);
    this.observe();
  }

  private observe(): void {
    let total = 0;
    let revisions = 0;
    for (const n of this.workload.pods.values()) {
      total += n;
      if (n > 0) revisions++;
    }
    this.maxTotalPods = Math.max(this.maxTotalPods, total);
    this.maxRevisionsAtOnce = Math.max(this.maxRevisionsAtOnce, revisions);
  }

  snapshot(): WorkloadSnapshot {
    const w = this.workload;
    const counts = (rev: string) => ({
      pods: this.podsOf(rev),
      ready: w.ready.get(rev) ?? 0,
      available: w.ready.get(rev) ?? 0,
    });
    const other = { pods: 0, ready: 0, available: 0 };
    for (const [rev, n] of w.pods) {
      if (rev === w.stable || rev === w.template) continue;
      other.pods += n;
      other.ready += w.ready.get(rev) ?? 0;
      other.available += w.ready.get(rev) ?? 0;
    }
    const rolledBack = w.inRelease && w.template === w.stable;
    return {
      ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "ns", name: "web" },
      kind: "Deployment",
      style: "partition",
      replicas: w.replicas,
      stableRevision: w.stable,
      canaryRevision: w.template,
      inRelease: w.inRelease && !rolledBack,
      rolledBack,
      held: w.held,
      original: undefined,
      observed: true,
      stable: counts(w.stable),
      canary: rolledBack ? { pods: 0, ready: 0, available: 0 } : counts(w.template),
      other,
      revisions: [],
      recheckAt: undefined,
      problem: undefined,
    };
  }

  port(): ObservedTarget {
    const w = this.workload;
    const snapshot = this.snapshot();
    const write = (op: FakeOp, reason: string): Write => ({
      type: "patch",
      target: snapshot.ref,
      patch: { fake: op },
      resourceVersion: "1",
      reason,
    });
    const canary = w.template;
    const releaseDone = () =>
      !w.held && this.podsOf(w.template) === w.replicas && (w.ready.get(w.template) ?? 0) === w.replicas;
    return {
      snapshot,
      releaseKey: w.inRelease ? `template-${w.template}` : undefined,
      planHold: () => ({ writes: [], done: true }),
      planBatch: (target) => {
        const writes: Write[] = [];
        for (const [rev, n] of w.pods)
          if (rev !== canary && rev !== w.stable && n > 0)
            writes.push(write({ op: "scale", revision: rev, to: 0 }, "drop other"));
        if (this.podsOf(canary) !== target)
          writes.push(write({ op: "scale", revision: canary, to: target }, "canary"));
        if (this.podsOf(w.stable) !== w.replicas - target)
          writes.push(write({ op: "scale", revision: w.stable, to: w.replicas - target }, "stable"));
        const updatedReady = w.ready.get(canary) ?? 0;
        return {
          writes,
          ready: writes.length === 0 && updatedReady >= target,
          progress: { batch: target, updated: this.podsOf(canary), updatedReady, allowedFailures: 0 },
        };
      },
      planAbort: () => {
        const writes: Write[] = [];
        for (const [rev, n] of w.pods)
          if (rev !== w.stable && n > 0) writes.push(write({ op: "scale", revision: rev, to: 0 }, "abort"));
        if (this.podsOf(w.stable) !== w.replicas)
          writes.push(write({ op: "scale", revision: w.stable, to: w.replicas }, "abort"));
        return { writes, done: writes.length === 0 && (w.ready.get(w.stable) ?? 0) === w.replicas };
      },
      planRelease: () => ({
        writes: w.held ? [write({ op: "unhold" }, "release")] : [],
        done: releaseDone(),
      }),
      releaseDone,
      planCleanup: () => ({
        writes: w.inRelease ? [write({ op: "cleanup" }, "cleanup")] : [],
        done: !w.inRelease,
      }),
      planRestore: () => {
        const done = !w.held && !w.inRelease && !w.labelled;
        return { writes: done ? [] : [write({ op: "restore" }, "restore")], done };
      },
    };
  }

  private applyOp(op: FakeOp): void {
    const w = this.workload;
    this.writes.push(op);
    switch (op.op) {
      case "scale":
        w.pods.set(op.revision, op.to);
        break;
      case "unhold":
        w.held = false;
        break;
      case "cleanup":
        w.inRelease = false;
        w.stable = w.template;
        break;
      case "restore":
        w.held = false;
        w.inRelease = false;
        w.labelled = false;
        w.stable = w.template;
        break;
      case "hold":
        w.held = true;
        break;
    }
    this.observe();
  }

  io(): ReconcileIO {
    const ok = (): RolloutWrite => ({ ok: true, resourceVersion: String(++this.resourceVersion) });
    const precondition = (obj: RolloutObject): RolloutWrite | undefined =>
      obj.resourceVersion === String(this.resourceVersion) ? undefined : { ok: false, reason: "conflict" };
    return {
      ...(this.analysis === undefined ? {} : { analysis: this.analysis }),
      loadWorkload: () => Promise.resolve(this.port()),
      apply: (writes) => {
        for (const w of writes) if (w.type === "patch") this.applyOp((w.patch as { fake: FakeOp }).fake);
        return Promise.resolve({ applied: writes.length, stale: false });
      },
      revertToStable: () => {
        const w = this.workload;
        if (w.template === w.stable) return Promise.resolve({ kind: "unchanged" });
        this.writes.push({ op: "revert" });
        w.template = w.stable;
        return Promise.resolve({ kind: "reverted" });
      },
      labelWorkload: () => {
        this.workload.labelled = true;
        return Promise.resolve("ok");
      },
      writeStatus: (obj, status) => {
        const stale = precondition(obj);
        if (stale) return Promise.resolve(stale);
        if (this.crashBeforeStatus) {
          this.crashBeforeStatus = false;
          throw new Error("killed before the status write");
        }
        this.rollout = { ...this.rollout, status };
        return Promise.resolve(ok());
      },
      patchMetadata: (obj, metadata) => {
        const stale = precondition(obj);
        if (stale) return Promise.resolve(stale);
        if (this.crashBeforeMetadata) {
          this.crashBeforeMetadata = false;
          throw new Error("killed before the metadata write");
        }
        const m = metadata as { finalizers?: string[]; annotations?: Record<string, string | null> };
        if (m.finalizers !== undefined) this.finalizers = [...m.finalizers];
        for (const [key, value] of Object.entries(m.annotations ?? {})) {
          if (value === null) delete this.annotations[key];
          else this.annotations[key] = value;
        }
        return Promise.resolve(ok());
      },
      event: (_obj, event) => {
        this.events.push(event);
      },
    };
  }
}
