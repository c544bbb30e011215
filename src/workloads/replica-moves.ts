// Moving pods between ReplicaSets within the original rolling-update bounds, one safe step at a time.
// Pure and idempotent: every decision is computed from the observed specs and pods, so re-planning after a
// crash, or before the previous writes were observed, never overshoots a bound.

export interface ReplicaGroup {
  readonly id: string;
  /** spec.replicas; 0 for a group whose ReplicaSet does not exist yet. */
  readonly desired: number;
  /** Active (non-terminating) pods, and how many are ready / available. */
  readonly pods: number;
  readonly ready: number;
  readonly available: number;
  readonly target: number;
}

export interface MoveLimits {
  /** N: the workload's spec.replicas. */
  readonly replicas: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  /**
   * A paused Deployment's controller still runs `scale()`: a lone active ReplicaSet is reset to N, and with no
   * active ReplicaSet the newest is scaled to N. Never leave such a state, and when maxSurge is 0 surge one pod
   * when that is the only way to take a step (see docs/decisions/deployment-partition-style.md).
   */
  readonly quietController: boolean;
}

export interface ReplicaMove {
  readonly id: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Pods a group is certain to keep available with spec `s`: the ReplicaSet controller deletes not-ready pods
 * before ready ones, but among ready pods it may pick available ones first (worst case).
 */
function worstCaseAvailable(group: ReplicaGroup, spec: number): number {
  return Math.max(0, Math.min(spec, group.ready) - (group.ready - group.available));
}

/** Surge accounting: a ReplicaSet's pods count until they are gone, even once its spec is lower. */
function footprint(group: ReplicaGroup, spec: number): number {
  return Math.max(spec, group.pods);
}

/** The paused Deployment controller would rewrite this spec vector (see MoveLimits.quietController). */
function controllerWouldAct(specs: readonly number[], replicas: number): boolean {
  if (replicas === 0) return false;
  const active = specs.filter((spec) => spec > 0);
  return active.length === 0 || (active.length === 1 && active[0] !== replicas);
}

function scaleUps(
  groups: readonly ReplicaGroup[],
  specs: number[],
  limits: MoveLimits,
  extraRoom: number,
): void {
  const total = groups.reduce((sum, group, i) => sum + footprint(group, specs[i]!), 0);
  let room = limits.replicas + limits.maxSurge + extraRoom - total;
  groups.forEach((group, i) => {
    const spec = specs[i]!;
    if (group.target <= spec) return;
    // Raising the spec up to the pods still present costs nothing: they exist already.
    const ceiling = Math.max(group.pods, footprint(group, spec) + room);
    const next = Math.max(spec, Math.min(group.target, ceiling));
    room -= footprint(group, next) - footprint(group, spec);
    specs[i] = next;
  });
}

/** Returns true when a scale-down was held back only because the controller would have interfered. */
function scaleDowns(groups: readonly ReplicaGroup[], specs: number[], limits: MoveLimits): boolean {
  const minAvailable = limits.replicas - limits.maxUnavailable;
  const sure = groups.reduce((sum, group, i) => sum + worstCaseAvailable(group, specs[i]!), 0);
  let budget = Math.max(0, sure - minAvailable);
  let heldBack = false;
  for (let i = groups.length - 1; i >= 0; i--) {
    const group = groups[i]!;
    const spec = specs[i]!;
    if (group.target >= spec) continue;
    const base = worstCaseAvailable(group, spec);
    const keep = base - budget; // availability this group must still guarantee
    let next = group.target;
    while (next < spec && worstCaseAvailable(group, next) < keep) next++;
    if (limits.quietController && next < spec) {
      const candidate = specs.slice();
      candidate[i] = next;
      if (controllerWouldAct(candidate, limits.replicas)) {
        candidate[i] = next = Math.min(spec, 1);
        if (next === 0 || controllerWouldAct(candidate, limits.replicas)) next = spec;
        heldBack = true;
      }
    }
    budget -= base - worstCaseAvailable(group, next);
    specs[i] = next;
  }
  return heldBack;
}

/**
 * The next writes, given groups in order of preference to grow (they shrink in reverse order). Scale-ups come
 * first and stay within N + maxSurge; scale-downs follow and keep available pods ≥ N − maxUnavailable even if
 * the ReplicaSet controller deletes the worst pods. Returns [] when nothing can or needs to move now.
 */
export function planReplicaMoves(groups: readonly ReplicaGroup[], limits: MoveLimits): ReplicaMove[] {
  const before = groups.map((group) => group.desired);
  let specs = before.slice();
  scaleUps(groups, specs, limits, 0);
  const afterUps = specs.slice();
  const heldBack = scaleDowns(groups, specs, limits);
  if (limits.quietController && limits.maxSurge === 0 && heldBack) {
    // The only step left would leave one ReplicaSet alone at ≠ N: give the first group that needs pods one
    // pod of surge so two stay active while the other shrinks.
    // (Only if the pods really are down to N: stale pods elsewhere mean waiting, not surging further.)
    specs = afterUps;
    scaleUps(groups, specs, limits, 1);
    scaleDowns(groups, specs, limits);
  }
  const moves: ReplicaMove[] = [];
  const ups = groups.map((_, i) => i).filter((i) => specs[i]! > before[i]!);
  const downs = groups.map((_, i) => i).filter((i) => specs[i]! < before[i]!);
  for (const i of [...ups, ...downs.reverse()]) {
    moves.push({ id: groups[i]!.id, from: before[i]!, to: specs[i]! });
  }
  return moves;
}
