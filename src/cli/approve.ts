// `kubectl slipway approve NAME [--step N]`: ends the pause (or inconclusive analysis) of the current step.
// The value binds the approval to the step and canary revision of the live status, so a stale approval cannot
// release a later step or a newer revision (SPEC §3). Approving a step that is already approved is harmless:
// it says so and exits 0 (docs/decisions/cli-approve-only-a-waiting-step.md).
import { Option } from "commander";
import { ANNOTATION_APPROVE } from "../api/names.ts";
import type { Rollout } from "../api/rollout.ts";
import type { CliIo } from "./io.ts";
import { actionCommand, followHint, type ActionSpec } from "./rollout-action.ts";

/**
 * The step the user means is approved already: `named` (--step), else — when no step waits now — the last
 * step a person approved in this release (a repeated `approve` after the release moved on). The line to print,
 * or undefined when there is something to approve (or the approval must be refused).
 */
export function alreadyApproved(rollout: Rollout, named: number | undefined): string | undefined {
  const status = rollout.status;
  const current = status?.currentStepIndex ?? 0;
  const waiting = status?.currentStepState === "Paused" || status?.phase === "Paused";
  if (waiting && (named === undefined || named === current)) return undefined;
  // An aborted or disabled release has nothing an approval could do: refuse it as before.
  if (status?.phase === "Aborted" || status?.phase === "Disabled") return undefined;
  const steps = status?.steps ?? [];
  const entry =
    named === undefined
      ? steps.filter((s) => s.approvedBy !== undefined).at(-1)
      : steps.find((s) => s.index === named);
  if (entry === undefined) return undefined;
  const by = entry.approvedBy === undefined ? "" : ` by ${entry.approvedBy}`;
  if (entry.approvedBy === undefined && !(named !== undefined && entry.phase === "Succeeded"))
    return undefined;
  const now =
    current === 0 || status?.phase === "Finalizing" || status?.phase === "Healthy"
      ? `the rollout is ${status?.phase ?? "not reconciled yet"}`
      : `the release is at step ${current}${status?.currentStepState === undefined ? "" : `, ${status.currentStepState}`}`;
  const name = `${rollout.metadata.namespace ?? ""}/${rollout.metadata.name}`;
  return `rollout ${name}: step ${entry.index} was already approved${by}; nothing to approve now (${now})`;
}

function stepOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const step = Number(value);
  if (!Number.isInteger(step) || step < 1)
    throw new Error(`--step ${value}: expected a step number such as 2`);
  return step;
}

export const approveAction: ActionSpec<{ readonly step?: string }> = {
  name: "approve",
  description: "approve the current step's pause (or inconclusive analysis) so the release continues",
  verb: "approve rollout",
  options: (command) =>
    command.addOption(
      new Option(
        "--step <n>",
        "the step you mean to approve: refused unless it waits now; already approved is success (exit 0)",
      ),
    ),
  act: async ({ conn, name, opts, rollouts }) => {
    const named = stepOption(opts.step);
    const { rollout } = await rollouts.readRollout(conn, name);
    const done = alreadyApproved(rollout, named);
    if (done !== undefined) return [done, followHint(conn, name)];
    const approval = rollouts.approvalValue(rollout);
    if ("error" in approval) throw new Error(approval.error);
    const [step, revision] = approval.value.split("@");
    if (named !== undefined && String(named) !== step) {
      throw new Error(`step ${named} is not waiting for approval: the release is at step ${step}`);
    }
    try {
      await rollouts.annotateRollout(conn, name, { [ANNOTATION_APPROVE]: approval.value });
    } catch (err) {
      // Refused because the step stopped waiting meanwhile (someone approved it a moment earlier): say so.
      const again = alreadyApproved((await rollouts.readRollout(conn, name)).rollout, Number(step));
      if (again !== undefined) return [again, followHint(conn, name)];
      throw err;
    }
    const of = revision === undefined ? "" : ` of revision ${revision}`;
    return [`rollout ${conn.namespace}/${name}: approved step ${step}${of}`, followHint(conn, name)];
  },
};

export const approveCommand = (io: CliIo, exit: (code: number) => void) =>
  actionCommand(approveAction, io, exit);
