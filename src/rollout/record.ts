// What the controller persists in `status.workflow`: the engine's run state plus the few facts about the
// release that the engine does not know (which revisions, why it was ended, promotions, pauses). Everything a
// restarted controller needs to continue exactly where the last one stopped lives here.
import { z } from "zod";
import { BackgroundStateSchema, type BackgroundState } from "../analysis/index.ts";
import { RELEASE_OUTCOMES, type ReleaseOutcome } from "../api/rollout-status.ts";
import { workflowStateSchema, type WorkflowState } from "../workflow/index.ts";
import type { RunKind } from "./compile.ts";

export const RECORD_VERSION = 1;

export interface ReleaseEnd {
  readonly outcome: ReleaseOutcome;
  readonly reason: string;
  /** Set by a manual abort: its cleanup runs even while spec.paused freezes everything else. */
  readonly manual?: boolean;
}

export interface Promotion {
  /** Run generation the promotion belongs to (a retry starts a new generation and forgets it). */
  readonly generation: number;
  /** Steps up to this index skip their remaining phases; Infinity is written as `full`. */
  readonly throughStep?: number;
  readonly full?: boolean;
}

export interface FailurePause {
  readonly step: number;
  readonly reason: string;
  readonly at: number;
  /** What paused it, for the Paused condition's reason (default FailurePause). */
  readonly cause?: "AnalysisInconclusive" | "AnalysisFailed";
}

export interface ReleaseRecord {
  readonly version: typeof RECORD_VERSION;
  readonly kind: RunKind;
  readonly stableRevision: string;
  /** The revision this run moves the workload to (for a rollback: the stable one). */
  readonly canaryRevision: string;
  /** Identity of the release (the canary template hash); older records fall back to canaryRevision. */
  readonly releaseKey?: string;
  /** Rollback only: the canary revision being rolled back. */
  readonly rolledBackRevision?: string;
  /** Rollback only: why and where the release was rolled back, for history, the Event and the conditions. */
  readonly rollbackReason?: string;
  /** Hash of the compiled definition the run follows; a different one means the spec changed mid-release. */
  readonly definitionHash: string;
  readonly run: WorkflowState;
  /** Why the controller ended the run (abort, supersede, deadline); absent for a run that ends by itself. */
  readonly end?: ReleaseEnd;
  readonly promotion?: Promotion;
  /** onFailure: pause — progress stopped at this step until a human approves or aborts. */
  readonly failurePause?: FailurePause;
  /** When spec.paused was first seen true (progress deadlines do not count paused time). */
  readonly pausedAt?: number;
  /** Deadlines count from no earlier than this (set on resume from a pause). */
  readonly deadlineFloorAt?: number;
  /** History already holds this run's outcome. */
  readonly historyRecorded?: boolean;
  /** Background analysis (strategy.canary.analysis): timing, counters and last measurements. */
  readonly background?: BackgroundState;
}

const recordSchema = z.strictObject({
  version: z.literal(RECORD_VERSION),
  kind: z.enum(["release", "rollback"]),
  stableRevision: z.string(),
  canaryRevision: z.string(),
  releaseKey: z.string().optional(),
  rolledBackRevision: z.string().optional(),
  rollbackReason: z.string().optional(),
  definitionHash: z.string(),
  run: workflowStateSchema,
  end: z
    .strictObject({ outcome: z.enum(RELEASE_OUTCOMES), reason: z.string(), manual: z.boolean().optional() })
    .optional(),
  promotion: z
    .strictObject({
      generation: z.number(),
      throughStep: z.number().optional(),
      full: z.boolean().optional(),
    })
    .optional(),
  failurePause: z
    .strictObject({
      step: z.number(),
      reason: z.string(),
      at: z.number(),
      cause: z.enum(["AnalysisInconclusive", "AnalysisFailed"]).optional(),
    })
    .optional(),
  pausedAt: z.number().optional(),
  deadlineFloorAt: z.number().optional(),
  historyRecorded: z.boolean().optional(),
  background: BackgroundStateSchema.optional(),
});

export type ParsedRecord =
  | { readonly ok: true; readonly record: ReleaseRecord | undefined }
  | { readonly ok: false; readonly problem: string };

/** Reads `status.workflow`; absent or empty → no record. A malformed one is reported, never guessed at. */
export function parseRecord(value: unknown): ParsedRecord {
  if (value === undefined || value === null) return { ok: true, record: undefined };
  if (typeof value === "object" && Object.keys(value).length === 0) return { ok: true, record: undefined };
  const parsed = recordSchema.safeParse(value);
  if (parsed.success) return { ok: true, record: parsed.data as ReleaseRecord };
  const issue = parsed.error.issues[0];
  const where = issue === undefined ? "" : ` at ${issue.path.join(".")}: ${issue.message}`;
  return {
    ok: false,
    problem:
      `status.workflow is not a state this controller can continue${where}; ` +
      `the release restarts from step 1 (the workload's pods are re-planned from what the cluster shows)`,
  };
}

/** The run has not finished. (Not a type guard on purpose: `false` does not mean "no record".) */
export function isRunActive(record: ReleaseRecord | undefined): boolean {
  return record !== undefined && (record.run.phase === "Running" || record.run.phase === "Suspended");
}

/** The record, when its run has not finished. */
export function activeRecord(record: ReleaseRecord | undefined): ReleaseRecord | undefined {
  return isRunActive(record) ? record : undefined;
}

/** How a finished run ended, for history and phase. */
export function outcomeOf(record: ReleaseRecord): ReleaseOutcome | undefined {
  switch (record.run.phase) {
    case "Running":
    case "Suspended":
      return undefined;
    case "Succeeded":
      return record.kind === "rollback" ? "RolledBack" : (record.end?.outcome ?? "Succeeded");
    case "Failed":
    case "Terminated":
      return record.end?.outcome ?? "Aborted";
    default: {
      const unknown: never = record.run.phase;
      throw new Error(`unknown run phase ${String(unknown)}`);
    }
  }
}

/** The release a record is about: for a rollback, the revision rolled back (not the stable one it restores). */
export function releasedRevisionOf(record: ReleaseRecord): string {
  return record.kind === "rollback"
    ? (record.rolledBackRevision ?? record.canaryRevision)
    : record.canaryRevision;
}

/** Promotion in force for the run's current generation, if any. */
export function promotionOf(record: ReleaseRecord): Promotion | undefined {
  const p = record.promotion;
  return p !== undefined && p.generation === record.run.generation ? p : undefined;
}
