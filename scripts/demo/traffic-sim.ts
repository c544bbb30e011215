// Pure part of the demo app's simulation: how one second of requests spreads over the revisions, the way
// nginx would send it (canary-weight to the canary Service's pods, the rest to the stable Service's), and
// how many of them fail for each version.

export interface Revision {
  readonly hash: string;
  readonly version: string;
  readonly readyPods: number;
}

export interface Routing {
  /** pod-template-hash the stable Service is pinned to (undefined: not pinned, all ready pods serve). */
  readonly stableHash: string | undefined;
  /** pod-template-hash the canary Service selects, when a canary Ingress exists. */
  readonly canaryHash: string | undefined;
  /** canary-weight of the canary Ingress, 0–100. */
  readonly canaryWeight: number;
}

/** Success ratio per image version: v3 is the bad release of the demo. */
export function successRatio(version: string): number {
  return version === "v3" ? 0.7 : 0.999;
}

/** Requests per revision hash for `total` requests. Pods that are not ready get nothing. */
export function spread(total: number, revisions: readonly Revision[], routing: Routing): Map<string, number> {
  const out = new Map<string, number>();
  const serving = (hash: string | undefined) =>
    revisions.filter((r) => r.readyPods > 0 && (hash === undefined || r.hash === hash));
  const share = (amount: number, targets: readonly Revision[]) => {
    const pods = targets.reduce((n, r) => n + r.readyPods, 0);
    for (const r of targets)
      out.set(r.hash, (out.get(r.hash) ?? 0) + (pods === 0 ? 0 : (amount * r.readyPods) / pods));
  };
  const canary = routing.canaryHash === undefined ? [] : serving(routing.canaryHash);
  const canaryShare = canary.length === 0 ? 0 : (total * routing.canaryWeight) / 100;
  share(canaryShare, canary);
  share(total - canaryShare, serving(routing.stableHash));
  return out;
}
