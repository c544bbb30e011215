// Traffic shifting (SPEC §5.4–§5.6): one provider per router behind one interface, pure planners, a thin
// I/O edge, and the workflow step types the Rollout reconciler registers. See docs/traffic.md.
export type * from "./types.ts";
export { TO_STABLE } from "./types.ts";
export type { ApplyResult, TrafficIO } from "./io.ts";
export { ISTIO_VERSIONS, pickIstioVersion } from "./io.ts";
export { KubeTrafficIO, type KubeTrafficIOOptions } from "./kube/io.ts";
export {
  trafficSession,
  advance,
  observeWorld,
  planOperation,
  type TrafficProgress,
  type TrafficSession,
} from "./session.ts";
export {
  trafficStepType,
  trafficRestoreStepType,
  RESTORE_MODES,
  type RestoreMode,
  type TrafficStepEnv,
} from "./step.ts";
export { canaryServiceName } from "./services.ts";
export { revisionLabelFor } from "./target.ts";
