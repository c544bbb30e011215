// A small model of what happens to a held Deployment in a real cluster: Slipway's writes are applied with
// resourceVersion checks, the ReplicaSet controller creates and deletes pods (deleting not-ready pods first, then,
// adversarially, the available ones), pods become ready, and the paused Deployment controller's `scale()` rule
// is checked after every write. Used by the partition-style property tests.

import type { V1Deployment, V1Pod, V1ReplicaSet } from "@kubernetes/client-node";
import { ANNOTATION_ORIGINAL, ANNOTATION_RELEASE } from "../../api/names.ts";
import { observeDeploymentPartition } from "../deployment-partition.ts";
import { resolveFenceposts } from "../int-or-percent.ts";
import { templatesEqualIgnoringHash } from "../pod-template.ts";
import { isPodActive, isPodAvailable, isPodReady } from "../pods.ts";
import type { ObservedWorkload, Write } from "../types.ts";
import { at, deployment, pod, replicaSet, T0, template } from "./fixtures.ts";

export interface SimOptions {
  readonly replicas: number;
  readonly maxSurge: number | string;
  readonly maxUnavailable: number | string;
  readonly minReadySeconds?: number;
  /** Canary pods never become ready (a broken release). */
  readonly brokenCanary?: boolean;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export class PartitionSim {
  deployment: V1Deployment;
  replicaSets: V1ReplicaSet[] = [];
  pods: V1Pod[] = [];
  now = T0;
  readonly violations: string[] = [];
  readonly maxTotal: number;
  readonly minAvailable: number;
  private version = 1000;
  private podSequence = 0;

  readonly options: SimOptions;

  constructor(options: SimOptions) {
    this.options = options;
    const stable = deployment({
      replicas: options.replicas,
      image: "web:v1",
      maxSurge: options.maxSurge,
      maxUnavailable: options.maxUnavailable,
      minReadySeconds: options.minReadySeconds ?? 0,
      paused: false,
    });
    const stableRs = replicaSet(stable, "stable1", "web:v1", options.replicas, 1, T0 - 3_600_000);
    this.replicaSets.push(stableRs);
    for (let i = 0; i < options.replicas; i++) this.pods.push(this.newPod(stableRs, "ready", T0 - 3_600_000));
    // The user sets a new image; the webhook holds it: paused, original saved, release recorded.
    const strategy = stable.spec!.strategy;
    this.deployment = mergePatch(stable, {
      metadata: {
        annotations: {
          [ANNOTATION_ORIGINAL]: JSON.stringify({ paused: false, strategy, progressDeadlineSeconds: 600 }),
          [ANNOTATION_RELEASE]: JSON.stringify({ rollout: "web", stableRevision: "stable1" }),
        },
      },
      spec: { paused: true, template: template(options.brokenCanary ? "web:broken" : "web:v2") },
    }) as V1Deployment;
    const bounds = resolveFenceposts(options.maxSurge, options.maxUnavailable, options.replicas);
    // Slipway surges one pod when maxSurge is 0 and a lone ReplicaSet must shrink (see replica-moves.ts).
    this.maxTotal = options.replicas + Math.max(bounds.maxSurge, 1);
    this.minAvailable = options.replicas - bounds.maxUnavailable;
  }

  private nextVersion(): string {
    return String(++this.version);
  }

  private newPod(rs: V1ReplicaSet, state: "pending" | "ready", readySince = this.now): V1Pod {
    const owner = { kind: "ReplicaSet", name: rs.metadata!.name!, uid: rs.metadata!.uid! };
    return pod(owner, this.podSequence++, state, rs.spec!.template!.metadata!.labels!, readySince);
  }

  observe(): ObservedWorkload {
    const objects = { deployment: this.deployment, replicaSets: this.replicaSets, pods: this.pods };
    return observeDeploymentPartition(objects, { now: new Date(this.now) });
  }

  /** Apply one write as the API server would; false when its precondition fails. */
  apply(write: Write): boolean {
    const name = write.target.name;
    if (write.type === "create") {
      if (this.replicaSets.some((rs) => rs.metadata?.name === name)) return false;
      const rs = write.object as V1ReplicaSet;
      const meta = {
        ...rs.metadata,
        uid: `uid-${name}`,
        resourceVersion: this.nextVersion(),
        creationTimestamp: at(this.now),
      };
      this.replicaSets.push({ ...rs, metadata: meta });
      return true;
    }
    if (write.type === "delete") throw new Error(`partition style never deletes; got ${write.reason}`);
    if (write.target.kind === "Deployment") {
      if (this.deployment.metadata?.resourceVersion !== write.resourceVersion) return false;
      const next = mergePatch(this.deployment, write.patch) as V1Deployment;
      const specChanged = JSON.stringify(next.spec) !== JSON.stringify(this.deployment.spec);
      const generation = (next.metadata?.generation ?? 1) + (specChanged ? 1 : 0);
      // The controller observes a new generation at once in this model.
      this.deployment = mergePatch(next, {
        metadata: { resourceVersion: this.nextVersion(), generation },
        status: { observedGeneration: generation },
      }) as V1Deployment;
      return true;
    }
    const index = this.replicaSets.findIndex((rs) => rs.metadata?.name === name);
    const rs = this.replicaSets[index];
    if (rs === undefined || !preconditionHolds(rs, write)) return false;
    const patched = mergePatch(rs, write.patch) as V1ReplicaSet;
    this.replicaSets[index] = mergePatch(patched, {
      metadata: { resourceVersion: this.nextVersion() },
    }) as V1ReplicaSet;
    this.checkControllerQuiet(write.reason);
    return true;
  }

  /** Does `write` lower a ReplicaSet's spec while it still has pods to create? */
  lowersSpecBelowPending(write: Write): boolean {
    if (write.type !== "patch" || write.target.kind !== "ReplicaSet") return false;
    const rs = this.replicaSets.find((r) => r.metadata?.name === write.target.name);
    const to = (write.patch["spec"] as { replicas?: number } | undefined)?.replicas ?? 0;
    const from = rs?.spec?.replicas ?? 0;
    return rs !== undefined && to < from && from > this.podsOf(rs).length;
  }

  private podsOf(rs: V1ReplicaSet): V1Pod[] {
    return this.pods.filter(
      (p) => p.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid && isPodActive(p),
    );
  }

  private available(p: V1Pod): boolean {
    return isPodAvailable(p, this.options.minReadySeconds ?? 0, new Date(this.now));
  }

  /** The ReplicaSet controller: create missing pods, delete surplus (not-ready first, then available first). */
  syncReplicaSets(): void {
    for (const rs of this.replicaSets) {
      const own = this.podsOf(rs);
      const want = rs.spec?.replicas ?? 0;
      for (let i = own.length; i < want; i++) this.pods.push(this.newPod(rs, "pending"));
      if (own.length > want) {
        const rank = (p: V1Pod) => (!isPodReady(p) ? 0 : this.available(p) ? 1 : 2);
        const victims = new Set(own.sort((a, b) => rank(a) - rank(b)).slice(0, own.length - want));
        this.pods = this.pods.filter((p) => !victims.has(p));
      }
    }
    this.checkBounds("after the ReplicaSet controller acted");
  }

  /** Pending pods become ready (canary pods of a broken release never do). */
  makeReady(limit = Number.POSITIVE_INFINITY): void {
    let made = 0;
    this.pods = this.pods.map((p) => {
      const image = this.replicaSets.find((rs) => rs.metadata?.uid === p.metadata?.ownerReferences?.[0]?.uid)
        ?.spec?.template?.spec?.containers[0]?.image;
      if (isPodReady(p) || made >= limit || image === "web:broken") return p;
      made++;
      return {
        ...p,
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "True", lastTransitionTime: at(this.now) }],
        },
      };
    });
  }

  advance(ms: number): void {
    this.now += ms;
  }

  counts(): { total: number; available: number } {
    const active = this.pods.filter(isPodActive);
    return { total: active.length, available: active.filter((p) => this.available(p)).length };
  }

  /** Pods per role: [canary (template's ReplicaSet), everything else]. */
  split(): { canary: number; rest: number } {
    const canaryRs = this.replicaSets.find((rs) =>
      templatesEqualIgnoringHash(rs.spec?.template, this.deployment.spec?.template),
    );
    const canaryPods = canaryRs === undefined ? 0 : this.podsOf(canaryRs).length;
    return { canary: canaryPods, rest: this.pods.filter(isPodActive).length - canaryPods };
  }

  private checkBounds(when: string): void {
    const { total, available } = this.counts();
    if (total > this.maxTotal) this.violations.push(`${when}: ${total} pods > ${this.maxTotal}`);
    if (available < this.minAvailable)
      this.violations.push(`${when}: ${available} available < ${this.minAvailable}`);
  }

  /** The paused Deployment controller's scale(): would it rewrite a ReplicaSet right now? */
  private checkControllerQuiet(after: string): void {
    const n = this.deployment.spec?.replicas ?? 1;
    const active = this.replicaSets.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    if (n === 0) return;
    if (active.length === 0)
      this.violations.push(
        `after "${after}": no active ReplicaSet; the controller would scale the newest to ${n}`,
      );
    if (active.length === 1 && active[0]!.spec?.replicas !== n) {
      this.violations.push(
        `after "${after}": lone active ReplicaSet at ${active[0]!.spec?.replicas}; the controller would reset it to ${n}`,
      );
    }
  }
}

/**
 * Drive `plan` to completion the way the reconciler would: apply each plan's writes one by one (the ReplicaSet
 * controller acting after each), and when nothing is left to write let pending pods become ready.
 * Returns the number of rounds, or throws if it does not converge.
 */
export function driveToCompletion(
  sim: PartitionSim,
  plan: (observed: ObservedWorkload) => { writes: readonly Write[]; finished: boolean },
  maxRounds = 500,
): number {
  for (let round = 0; round < maxRounds; round++) {
    const { writes, finished } = plan(sim.observe());
    if (finished) return round;
    for (const write of writes) {
      if (!sim.apply(write)) break;
      sim.syncReplicaSets();
    }
    if (writes.length === 0) {
      sim.makeReady();
      sim.advance(((sim.options.minReadySeconds ?? 0) + 1) * 1000);
    }
  }
  throw new Error(`no convergence after ${maxRounds} rounds: ${JSON.stringify(sim.split())}`);
}

/** The write's precondition as the API server checks it: its `unchanged` fields, else the resourceVersion. */
function preconditionHolds(obj: V1ReplicaSet, write: Write & { type: "patch" }): boolean {
  if (write.unchanged === undefined) return obj.metadata?.resourceVersion === write.resourceVersion;
  return Object.entries(write.unchanged).every(([pointer, value]) => {
    let at: unknown = obj;
    for (const key of pointer.split("/").slice(1))
      at = (at as Record<string, unknown> | undefined)?.[key.replaceAll("~1", "/").replaceAll("~0", "~")];
    return JSON.stringify(at) === JSON.stringify(value);
  });
}
