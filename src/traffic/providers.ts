// Router registration: one line per provider. A provider is observed once per reconcile and its planners
// are bound to that observation.
import { istioProvider } from "./istio.ts";
import type { TrafficIO } from "./io.ts";
import { nginxProvider } from "./nginx.ts";
import type { DesiredTraffic, EnsureOptions, Plan, TrafficProvider, TrafficTarget } from "./types.ts";

/** A router as observed now, with its pure planners bound to that observation. */
export interface ObservedRouter {
  readonly name: string;
  readonly usesServices: boolean;
  planEnsure(desired: DesiredTraffic, options: EnsureOptions): Plan;
  planRestore(): Plan;
}

async function observe<O>(
  provider: TrafficProvider<O>,
  io: TrafficIO,
  target: TrafficTarget,
): Promise<ObservedRouter> {
  const observed = await provider.observe(io, target);
  return {
    name: provider.name,
    usesServices: provider.usesServices(target),
    planEnsure: (desired, options) => provider.planEnsure(observed, target, desired, options),
    planRestore: () => provider.planRestore(observed, target),
  };
}

export function observeRouter(io: TrafficIO, target: TrafficTarget): Promise<ObservedRouter> {
  const router = target.routing.router;
  switch (router.kind) {
    case "nginx":
      return observe(nginxProvider, io, target);
    case "istio":
      return observe(istioProvider, io, target);
    default: {
      const unknown: never = router;
      throw new Error(`no traffic provider for router ${JSON.stringify(unknown)}`);
    }
  }
}
