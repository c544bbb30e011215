// The workflow engine: general, durable and deterministic; no Kubernetes, no timers, no clock.
// See docs/workflow-engine.md.
export type * from "./types.ts";
export { STATE_VERSION } from "./types.ts";
export { succeeded, wait, retryableError, failed, suspended } from "./outcomes.ts";
export { createRegistry, StepRegistry, GROUP_TYPE } from "./registry.ts";
export { validateDefinition, WorkflowDefinitionError } from "./compile.ts";
export { WorkflowStateError } from "./errors.ts";
export { tick, isRunFinished } from "./tick.ts";
export { startRun, resume, terminate, restart } from "./operations.ts";
export { parseWorkflowState, workflowDefinitionSchema, workflowStateSchema } from "./schema.ts";
export { parseDuration } from "./duration.ts";
