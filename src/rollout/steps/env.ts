// What a step type sees of the reconcile that invoked it. Step types are built per reconcile from this
// environment (so they act on the observation of that reconcile) and registered by name (registry.ts).
import type { EffectiveRolloutSpec } from "../../api/defaults.ts";
import type { JsonObject, JsonValue, StepType } from "../../workflow/index.ts";
import type { TrafficStepEnv } from "../../traffic/step.ts";
import type { RolloutName } from "../../api/action-hints.ts";
import type { ReleaseRecord } from "../record.ts";
import type { ApplyWrites, WorkloadPort } from "../workload-port.ts";
import type { AnalysisEnv } from "./analysis.ts";

export interface StepEnv {
  readonly spec: EffectiveRolloutSpec;
  readonly workload: WorkloadPort;
  readonly apply: ApplyWrites;
  /** The record as it was before this tick (promotion, failure pause, deadline floor). */
  readonly record: ReleaseRecord;
  /** For the traffic step types (src/traffic). */
  readonly traffic: TrafficStepEnv;
  /** Metric gates; absent when the controller runs without an analysis provider. */
  readonly analysis?: AnalysisEnv;
  /** The Rollout, for the commands a message suggests. */
  readonly rollout?: RolloutName;
}

export type StepTypeFactory = (env: StepEnv) => StepType;

/** `properties.step` of a compiled sub-step: its 1-based step index. */
export function stepIndexOf(properties: JsonObject): number {
  const step = properties["step"];
  if (typeof step !== "number" || !Number.isInteger(step) || step < 1) {
    throw new Error(`step properties ${JSON.stringify(properties)} lack a 1-based "step" index`);
  }
  return step;
}

export function objectOf(value: JsonValue | undefined): { readonly [key: string]: JsonValue } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return value as { readonly [key: string]: JsonValue };
}
