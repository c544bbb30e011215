// Reading persisted analysis state back (step memory, step outputs, the release record): parsed with zod,
// so a malformed or foreign value is treated as "no state" instead of being trusted.
import { z } from "zod";
import type { JsonValue } from "../workflow/index.ts";
import { BACKGROUND_STATE_VERSION, type BackgroundState } from "./background.ts";
import { GATE_STATE_VERSION, type GateState } from "./gate.ts";

const StoredMeasurementSchema = z.object({
  index: z.int(),
  phase: z.enum(["Successful", "Failed", "Inconclusive", "Error"]),
  at: z.number(),
  value: z.string().optional(),
  message: z.string().optional(),
});
const MetricStateSchema = z.object({
  key: z.string(),
  count: z.int(),
  successful: z.int(),
  failed: z.int(),
  inconclusive: z.int(),
  errors: z.int(),
  consecutiveErrors: z.int(),
  taken: z.int(),
  nextAt: z.number(),
  phase: z.enum(["Running", "Successful", "Failed", "Inconclusive"]),
  rule: z.string().optional(),
  measurements: z.array(StoredMeasurementSchema),
});
const GateStateSchema = z.object({
  version: z.literal(GATE_STATE_VERSION),
  metrics: z.array(MetricStateSchema),
});

/** Reads a persisted gate state (step memory or `outputs.gate`); undefined when absent or not one. */
export function readGateState(value: JsonValue | undefined): GateState | undefined {
  if (value === undefined) return undefined;
  const parsed = GateStateSchema.safeParse(value);
  return parsed.success ? (parsed.data as GateState) : undefined;
}

/** For records that embed a background state (src/rollout/record.ts). */
export const BackgroundStateSchema = z.object({
  version: z.literal(BACKGROUND_STATE_VERSION),
  startedAt: z.number(),
  gate: GateStateSchema,
});

/** Reads a persisted background analysis state; undefined when absent or not one. */
export function readBackgroundState(value: unknown): BackgroundState | undefined {
  if (value === undefined) return undefined;
  const parsed = BackgroundStateSchema.safeParse(value);
  return parsed.success ? (parsed.data as BackgroundState) : undefined;
}
