// The three things a release does with traffic, each as observe → pure plan → apply the first stage:
//   ensure(weight, matches)  a step: Services pinned/created, then the router set (SPEC §5.4)
//   routeToStable()          abort/rollback, first action: weight 0 and no matches (SPEC §5.6)
//   unpinStable()            before a step that moves every pod: the stable Service selects all pods again
//   removeRouting()          finish: un-pin stable → remove canary routes → delete canary Service (SPEC §5.5)
// One stage per call: the caller waits the grace period and calls again until the result is `done`, so a
// crash anywhere resumes from what the cluster shows.
import type { ApplyResult, TrafficIO } from "./io.ts";
import { observeRouter, type ObservedRouter } from "./providers.ts";
import {
  canaryKnown,
  canaryServiceRef,
  planDeleteCanaryService,
  planServices,
  planUnpinStable,
  stableServiceRef,
  type ObservedServices,
} from "./services.ts";
import { TO_STABLE, type DesiredTraffic, type Plan, type TrafficTarget, type TrafficWrite } from "./types.ts";

export interface TrafficWorld {
  readonly services: ObservedServices;
  readonly router: ObservedRouter;
}

export type TrafficProgress =
  /** Nothing left to change. */
  | { readonly kind: "done" }
  /** These writes are due; not applied (the caller asked for a plan only). */
  | { readonly kind: "pending"; readonly changes: readonly string[] }
  /** These writes were applied. */
  | { readonly kind: "changed"; readonly changes: readonly string[] }
  /** A write lost a race with another writer; re-read and plan again. */
  | { readonly kind: "stale"; readonly change: string }
  /** Cannot proceed until a person acts; the message says what to do. */
  | { readonly kind: "blocked"; readonly problem: string };

export type TrafficOperation = "ensure" | "toStable" | "unpin" | "remove";

export async function observeWorld(io: TrafficIO, target: TrafficTarget): Promise<TrafficWorld> {
  const [stable, canary, router] = await Promise.all([
    io.get(stableServiceRef(target)),
    io.get(canaryServiceRef(target)),
    observeRouter(io, target),
  ]);
  return { services: { stable, canary }, router };
}

/** All stages, or the first problem (nothing is changed while any part cannot be done). */
function allOrProblem(plans: readonly Plan[]): Plan {
  const problem = plans.find((p) => p.kind === "problem");
  if (problem !== undefined) return problem;
  return { kind: "writes", stages: plans.flatMap((p) => (p.kind === "writes" ? p.stages : [])) };
}

/** The stages before the first problem: earlier parts of an ordered teardown still proceed. */
function upToProblem(plans: readonly Plan[]): Plan {
  const stages: (readonly TrafficWrite[])[] = [];
  for (const plan of plans) {
    if (plan.kind === "problem") return stages.length > 0 ? { kind: "writes", stages } : plan;
    stages.push(...plan.stages);
  }
  return { kind: "writes", stages };
}

/**
 * Step traffic: pinned stable Service and canary Service first (when the router uses them), then the router.
 * Before the canary revision is known only weight 0 is possible: the stable side is pinned, and a router that
 * routes by Service is checked (a missing Ingress is reported before any pod moves) but not yet written.
 */
export function planEnsureTraffic(world: TrafficWorld, target: TrafficTarget, desired: DesiredTraffic): Plan {
  const known = canaryKnown(target);
  if (!known && (desired.weight > 0 || desired.matches.length > 0)) {
    return {
      kind: "problem",
      problem: `waiting for the canary revision (${target.revisionLabel}) to be known before sending traffic to it`,
    };
  }
  const services: Plan = world.router.usesServices
    ? planServices(world.services, target, desired.pinStable ?? true)
    : { kind: "writes", stages: [] };
  const router = world.router.planEnsure(desired, { createMissing: true });
  const routerWrites = known || !world.router.usesServices || router.kind === "problem";
  return allOrProblem([services, routerWrites ? router : { kind: "writes", stages: [] }]);
}

/** Abort: weight 0, matches removed, only on what Slipway already changed; the pin stays (canary pods may exist). */
export function planRouteToStable(world: TrafficWorld): Plan {
  return world.router.planEnsure(TO_STABLE, { createMissing: false });
}

/** Finish: un-pin the stable Service, remove the canary routes, delete the canary Service (SPEC §5.5). */
export function planRemoveRouting(world: TrafficWorld, target: TrafficTarget): Plan {
  return upToProblem([
    planUnpinStable(world.services.stable, target),
    world.router.planRestore(),
    planDeleteCanaryService(world.services.canary, target),
  ]);
}

export function planOperation(
  world: TrafficWorld,
  target: TrafficTarget,
  operation: TrafficOperation,
  desired: DesiredTraffic = TO_STABLE,
): Plan {
  switch (operation) {
    case "ensure":
      return planEnsureTraffic(world, target, desired);
    case "toStable":
      return planRouteToStable(world);
    case "unpin":
      return planUnpinStable(world.services.stable, target);
    case "remove":
      return planRemoveRouting(world, target);
    default: {
      const unknown: never = operation;
      throw new Error(`unknown traffic operation ${String(unknown)}`);
    }
  }
}

/** Applies one stage in order; stops at the first write that lost a race. */
export async function applyStage(io: TrafficIO, stage: readonly TrafficWrite[]): Promise<TrafficProgress> {
  for (const write of stage) {
    const result: ApplyResult = await io.apply(write);
    const settled = result === "ok" || (result === "gone" && write.type === "delete");
    if (!settled) return { kind: "stale", change: write.reason };
  }
  return { kind: "changed", changes: stage.map((w) => w.reason) };
}

/** Observe, plan and (when `apply`) apply the first stage with writes. */
export async function advance(
  io: TrafficIO,
  target: TrafficTarget,
  operation: TrafficOperation,
  options: { readonly desired?: DesiredTraffic; readonly apply: boolean },
): Promise<TrafficProgress> {
  const world = await observeWorld(io, target);
  const plan = planOperation(world, target, operation, options.desired);
  if (plan.kind === "problem") return { kind: "blocked", problem: plan.problem };
  const stage = plan.stages.find((s) => s.length > 0);
  if (stage === undefined) return { kind: "done" };
  if (!options.apply) return { kind: "pending", changes: stage.map((w) => w.reason) };
  return applyStage(io, stage);
}

/** The entry points the reconciler calls; each applies at most one stage per call. */
export interface TrafficSession {
  ensure(desired: DesiredTraffic): Promise<TrafficProgress>;
  routeToStable(): Promise<TrafficProgress>;
  unpinStable(): Promise<TrafficProgress>;
  removeRouting(): Promise<TrafficProgress>;
}

export function trafficSession(io: TrafficIO, target: TrafficTarget): TrafficSession {
  return {
    ensure: (desired) => advance(io, target, "ensure", { desired, apply: true }),
    routeToStable: () => advance(io, target, "toStable", { apply: true }),
    unpinStable: () => advance(io, target, "unpin", { apply: true }),
    removeRouting: () => advance(io, target, "remove", { apply: true }),
  };
}
