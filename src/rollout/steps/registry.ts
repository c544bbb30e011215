// Step types the controller knows, by name. Traffic routing and analysis register theirs here when they land
// (`registerStepType(STEP_TYPES.traffic, …)`); compile.ts only emits those steps for Rollouts that use them,
// and a Rollout needing an unregistered type is reported in its status instead of being started.
import { trafficRestoreStepType, trafficStepType } from "../../traffic/step.ts";
import { createRegistry, type StepRegistry } from "../../workflow/index.ts";
import { STEP_TYPES } from "../compile.ts";
import { abortStep } from "./abort.ts";
import { batchStep } from "./batch.ts";
import type { StepEnv, StepTypeFactory } from "./env.ts";
import { finishStep } from "./finish.ts";
import { pauseStep } from "./pause.ts";

const factories = new Map<string, StepTypeFactory>([
  [STEP_TYPES.batch, batchStep],
  [STEP_TYPES.pause, pauseStep],
  [STEP_TYPES.finish, finishStep],
  [STEP_TYPES.abort, abortStep],
  [STEP_TYPES.traffic, (env) => trafficStepType(env.traffic)],
  [STEP_TYPES.trafficRestore, (env) => trafficRestoreStepType(env.traffic)],
]);

/** Adds a step type (one line per extension: traffic, analysis, traffic-restore). */
export function registerStepType(name: string, factory: StepTypeFactory): void {
  if (factories.has(name)) throw new Error(`step type "${name}" is already registered`);
  factories.set(name, factory);
}

export function registeredStepTypes(): readonly string[] {
  return [...factories.keys()];
}

/** The registry for one reconcile: every step type bound to that reconcile's observation. */
export function registryFor(env: StepEnv): StepRegistry {
  const types = Object.fromEntries([...factories].map(([name, factory]) => [name, factory(env)]));
  return createRegistry(types);
}

/** A registry for checking a definition only (no step is run). */
export function registryForValidation(): StepRegistry {
  const inert = { run: () => Promise.reject(new Error("validation registry: steps are not run")) };
  return createRegistry(Object.fromEntries([...factories.keys()].map((name) => [name, inert])));
}

export type { StepEnv, StepTypeFactory };
