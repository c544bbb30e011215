// Human actions (SPEC §3): annotations on the Rollout turned into operations on the persisted run. Pure.
// An action is consumed (its annotation removed after the status is written) once it has acted or can never
// act. An approval ends only a wait of its step that exists now; one for a step still moving pods is dropped
// with a Warning (the webhook refuses it first): kept, it would skip that pause the moment it began.
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../api/names.ts";
import {
  resume,
  restart,
  terminate,
  type WorkflowDefinition,
  type WorkflowState,
} from "../workflow/index.ts";
import { stepPhaseName } from "./compile.ts";
import { activeRecord, isRunActive, outcomeOf, type ReleaseRecord } from "./record.ts";
import { currentStepIndex, isInMain } from "./run-view.ts";
import { approvalToken } from "./steps/pause.ts";

export interface ActionEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

export interface ActionResult {
  readonly record: ReleaseRecord | undefined;
  /** Annotation keys to remove once the new status is written. */
  readonly consumed: readonly string[];
  readonly events: readonly ActionEvent[];
}

export interface ActionContext {
  readonly annotations: Readonly<Record<string, string>>;
  readonly definition: WorkflowDefinition | undefined;
  readonly now: number;
  /** The workload still holds the release the record describes (a retry needs it). */
  readonly releaseStillHeld: boolean;
}

const ACTION_KEYS = [ANNOTATION_APPROVE, ANNOTATION_ABORT, ANNOTATION_RETRY, ANNOTATION_PROMOTE] as const;

export function hasActions(annotations: Readonly<Record<string, string>>): boolean {
  return ACTION_KEYS.some((key) => annotations[key] !== undefined);
}

export function applyActions(start: ReleaseRecord | undefined, ctx: ActionContext): ActionResult {
  const by = ctx.annotations[ANNOTATION_APPROVED_BY];
  const who = by === undefined || by === "" ? "" : ` by ${by}`;
  let record = start;
  const consumed: string[] = [];
  const events: ActionEvent[] = [];
  const consume = (key: string, event?: ActionEvent): void => {
    consumed.push(key);
    if (event !== undefined) events.push(event);
  };
  const ignored = (key: string, why: string): ActionEvent => ({
    type: "Warning",
    reason: "ActionIgnored",
    message: `${key}=${JSON.stringify(ctx.annotations[key])} ignored: ${why}`,
  });

  // Abort first: it wins over anything else asked at the same time.
  if (ctx.annotations[ANNOTATION_ABORT] !== undefined) {
    const active = activeRecord(record);
    if (active !== undefined && active.kind === "release" && isInMain(active.run, ctx.definition)) {
      const reason = `aborted by ${by === undefined || by === "" ? "a user" : by} (${ANNOTATION_ABORT})`;
      record = {
        ...active,
        end: { outcome: "Aborted", reason, manual: true },
        run: terminate(active.run, reason),
      };
      consume(ANNOTATION_ABORT, { type: "Warning", reason: "Aborting", message: `release aborted${who}` });
    } else {
      consume(ANNOTATION_ABORT, ignored(ANNOTATION_ABORT, "no release is in a state that can be aborted"));
    }
  }

  const retry = ctx.annotations[ANNOTATION_RETRY];
  if (retry !== undefined) {
    const aborted = record !== undefined && !isRunActive(record) && outcomeOf(record) === "Aborted";
    if (
      aborted &&
      record !== undefined &&
      record.kind === "release" &&
      ctx.releaseStillHeld &&
      ctx.definition
    ) {
      const {
        end: _end,
        promotion: _p,
        failurePause: _f,
        deadlineFloorAt: _d,
        historyRecorded: _h,
        pausedAt: _pa,
        background: _b,
        ...rest
      } = record;
      record = { ...rest, run: restart(record.run, ctx.definition) };
      consume(ANNOTATION_RETRY, {
        type: "Normal",
        reason: "Retrying",
        message: `release restarted from step 1${who}`,
      });
    } else {
      consume(ANNOTATION_RETRY, ignored(ANNOTATION_RETRY, "nothing to retry: no aborted release is held"));
    }
  }

  const approve = ctx.annotations[ANNOTATION_APPROVE];
  if (approve !== undefined) {
    const outcome = approveStep(record, approve, by, ctx);
    record = outcome.record;
    consume(ANNOTATION_APPROVE, outcome.event);
  }

  const promote = ctx.annotations[ANNOTATION_PROMOTE];
  if (promote !== undefined) {
    const outcome = promoteRelease(record, promote, who, ctx.definition);
    record = outcome.record;
    consume(ANNOTATION_PROMOTE, outcome.event ?? ignored(ANNOTATION_PROMOTE, outcome.why));
  }

  // Who asked travels with the action; drop it once no action is left to attribute.
  const left = ACTION_KEYS.filter((key) => ctx.annotations[key] !== undefined && !consumed.includes(key));
  if (by !== undefined && left.length === 0 && consumed.length > 0) consumed.push(ANNOTATION_APPROVED_BY);
  return { record, consumed, events };
}

interface StepAction {
  readonly record: ReleaseRecord | undefined;
  readonly event?: ActionEvent;
}

/** `2` or `2@<canaryRevision>`. */
export function parseApproval(value: string): { step: number; revision?: string } | undefined {
  const match = /^\s*([0-9]+)\s*(?:@\s*([A-Za-z0-9._-]+)\s*)?$/.exec(value);
  if (match?.[1] === undefined) return undefined;
  return match[2] === undefined ? { step: Number(match[1]) } : { step: Number(match[1]), revision: match[2] };
}

function approveStep(
  record: ReleaseRecord | undefined,
  value: string,
  by: string | undefined,
  ctx: ActionContext,
): StepAction {
  const warn = (why: string): StepAction => ({
    record,
    event: { type: "Warning", reason: "ActionIgnored", message: `approval "${value}" ignored: ${why}` },
  });
  const parsed = parseApproval(value);
  if (parsed === undefined) return warn('expected a step index such as "2" or "2@<canaryRevision>"');
  const active = activeRecord(record);
  if (active === undefined || active.kind !== "release") return warn("no release is waiting for approval");
  return approveActive(active, parsed, value, by, ctx, warn);
}

function approveActive(
  record: ReleaseRecord,
  parsed: { step: number; revision?: string },
  value: string,
  by: string | undefined,
  ctx: ActionContext,
  warn: (why: string) => StepAction,
): StepAction {
  void value;
  if (parsed.revision !== undefined && parsed.revision !== record.canaryRevision) {
    return warn(
      `it is for revision ${parsed.revision}, but the release in progress is ${record.canaryRevision}`,
    );
  }
  const current = currentStepIndex(record.run, ctx.definition);
  if (parsed.step < current)
    return warn(`step ${parsed.step} is already done (the release is at step ${current})`);
  if (parsed.step > current) return warn(`the release is at step ${current}, not step ${parsed.step}`);
  const approvedBy: { approvedBy?: string } = by === undefined || by === "" ? {} : { approvedBy: by };
  const who = by === undefined || by === "" ? "" : ` by ${by}`;
  if (record.failurePause?.step === parsed.step) {
    const { failurePause: _f, ...rest } = record;
    return {
      record: { ...rest, deadlineFloorAt: ctx.now },
      event: {
        type: "Normal",
        reason: "Approved",
        message: `step ${parsed.step} continues after a failure${who}`,
      },
    };
  }
  // The pause, or an analysis gate of the step that was Inconclusive: both wait for the step's token.
  if (isSuspendedWith(record.run, approvalToken(parsed.step))) {
    return {
      record: { ...record, run: resume(record.run, approvalToken(parsed.step), { ...approvedBy }) },
      event: { type: "Normal", reason: "Approved", message: `step ${parsed.step} approved${who}` },
    };
  }
  const pause = record.run.steps[stepPhaseName(parsed.step, "pause")];
  if (pause?.phase === "Succeeded" || pause?.phase === "Skipped")
    return warn(`step ${parsed.step} is not paused`);
  return warn(
    `step ${parsed.step} is not waiting for approval yet; an approval is not kept for a pause to come: approve again once it pauses`,
  );
}

function promoteRelease(
  record: ReleaseRecord | undefined,
  value: string,
  who: string,
  definition: WorkflowDefinition | undefined,
): { record: ReleaseRecord | undefined; event?: ActionEvent; why: string } {
  if (value !== "step" && value !== "full") return { record, why: 'expected "step" or "full"' };
  const active = activeRecord(record);
  if (active === undefined || active.kind !== "release" || !isInMain(active.run, definition)) {
    return { record, why: "no release is in progress" };
  }
  return promoteActive(active, value, who, definition);
}

function promoteActive(
  record: ReleaseRecord,
  value: "step" | "full",
  who: string,
  definition: WorkflowDefinition | undefined,
): { record: ReleaseRecord; event: ActionEvent; why: string } {
  const step = currentStepIndex(record.run, definition);
  const generation = record.run.generation;
  const promotion = value === "full" ? { generation, full: true } : { generation, throughStep: step };
  const { failurePause: _f, ...rest } = record;
  let run = record.run;
  if (isSuspendedWith(run, approvalToken(step))) run = resume(run, approvalToken(step));
  const message =
    value === "full"
      ? `promoted to the end, skipping every remaining step${who}`
      : `step ${step} promoted${who}`;
  return {
    record: { ...rest, run, promotion },
    event: { type: "Normal", reason: "Promoted", message },
    why: "",
  };
}

/** Some step of the run is suspended waiting for `token`. */
function isSuspendedWith(run: WorkflowState, token: string): boolean {
  return Object.values(run.steps).some((step) => step.phase === "Suspended" && step.token === token);
}
