// zod schemas for data that enters from outside (a definition written by a user, a state read back from a
// status subresource). Shape only: the graph rules live in compile.ts.
import { z } from "zod";
import { STATE_VERSION } from "./types.ts";
import type { StepDefinition, WorkflowDefinition, WorkflowState } from "./types.ts";

const json = z.json();
const jsonObject = z.record(z.string(), json);
const duration = z.union([z.string(), z.number()]);
const mode = z.enum(["steps", "dag"]);

const retry = z.strictObject({
  limit: z.number(),
  backoff: z
    .strictObject({ initial: duration.optional(), factor: z.number().optional(), max: duration.optional() })
    .optional(),
});

export const stepDefinitionSchema: z.ZodType<StepDefinition> = z.strictObject({
  name: z.string(),
  type: z.string(),
  properties: jsonObject.optional(),
  dependsOn: z.array(z.string()).optional(),
  if: z.string().optional(),
  timeout: duration.optional(),
  retry: retry.optional(),
  get group() {
    return z.strictObject({ mode: mode.optional(), steps: z.array(stepDefinitionSchema) }).optional();
  },
});

export const workflowDefinitionSchema: z.ZodType<WorkflowDefinition> = z.strictObject({
  mode: mode.optional(),
  steps: z.array(stepDefinitionSchema),
  finally: z.array(stepDefinitionSchema).optional(),
  finallyMode: mode.optional(),
  context: jsonObject.optional(),
  pollInterval: duration.optional(),
  defaultRetry: retry.optional(),
  limits: z
    .strictObject({
      maxOutputBytes: z.number().optional(),
      maxMemoryBytes: z.number().optional(),
      maxMessageLength: z.number().optional(),
    })
    .optional(),
});

const stepReason = z.enum([
  "Waiting",
  "RetryBackoff",
  "ConditionFalse",
  "UpstreamFailed",
  "ParentSkipped",
  "ParentTimedOut",
  "StepFailed",
  "RetriesExhausted",
  "TimedOut",
  "Terminated",
  "ConditionError",
  "OutputTooLarge",
  "MemoryTooLarge",
  "InvalidOutcome",
  "SubStepFailed",
]);

const stepState = z.strictObject({
  phase: z.enum(["Running", "Suspended", "Succeeded", "Failed", "Skipped"]),
  reason: stepReason.optional(),
  message: z.string().optional(),
  attempt: z.number().optional(),
  firstStartedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  nextRunAt: z.number().optional(),
  token: z.string().optional(),
  resume: z.strictObject({ token: z.string(), payload: json.optional() }).optional(),
  outputs: jsonObject.optional(),
  memory: json.optional(),
});

export const workflowStateSchema: z.ZodType<WorkflowState> = z.strictObject({
  version: z.literal(STATE_VERSION),
  runId: z.string(),
  definitionHash: z.string(),
  generation: z.number(),
  phase: z.enum(["Running", "Suspended", "Succeeded", "Failed", "Terminated"]),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  message: z.string().optional(),
  terminate: z.strictObject({ reason: z.string(), force: z.boolean().optional() }).optional(),
  steps: z.record(z.string(), stepState),
});

/** Reads a persisted state (e.g. `status.workflow`); throws with every problem and its path. */
export function parseWorkflowState(value: unknown): WorkflowState {
  const result = workflowStateSchema.safeParse(value);
  if (result.success) return result.data;
  const version =
    typeof value === "object" && value !== null ? (value as { version?: unknown }).version : undefined;
  if (version !== undefined && version !== STATE_VERSION) {
    throw new Error(
      `workflow state has version ${JSON.stringify(version)}, but this engine reads version ${STATE_VERSION}; ` +
        `restart the run (startRun) to continue with this engine`,
    );
  }
  throw new Error(`workflow state is malformed:\n${z.prettifyError(result.error)}`);
}

/** Shape problems of a definition, one string per problem with its path; empty when the shape is right. */
export function definitionShapeProblems(value: unknown): readonly string[] {
  const result = workflowDefinitionSchema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    // zod's JSON schema only says "Invalid input"; say what JSON excludes.
    const message =
      issue.message === "Invalid input" && (path.includes("properties") || path.includes("context"))
        ? "must be a JSON value (no undefined, functions, Dates, NaN or Infinity)"
        : issue.message;
    return `${path.join(".") || "definition"}: ${message}`;
  });
}
