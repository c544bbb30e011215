// `kubectl slipway approve NAME`: ends the pause (or inconclusive analysis) of the current step. The value
// binds the approval to the step and canary revision of the live status, so a stale approval cannot
// release a later step or a newer revision (SPEC §3).
import { ANNOTATION_APPROVE } from "../api/names.ts";
import type { CliIo } from "./io.ts";
import { actionCommand, followHint, type ActionSpec } from "./rollout-action.ts";

export const approveAction: ActionSpec<object> = {
  name: "approve",
  description: "approve the current step's pause (or inconclusive analysis) so the release continues",
  verb: "approve rollout",
  act: async ({ conn, name, rollouts }) => {
    const { rollout } = await rollouts.readRollout(conn, name);
    const approval = rollouts.approvalValue(rollout);
    if ("error" in approval) throw new Error(approval.error);
    await rollouts.annotateRollout(conn, name, { [ANNOTATION_APPROVE]: approval.value });
    const [step, revision] = approval.value.split("@");
    const of = revision === undefined ? "" : ` of revision ${revision}`;
    return [`rollout ${conn.namespace}/${name}: approved step ${step}${of}`, followHint(conn, name)];
  },
};

export const approveCommand = (io: CliIo, exit: (code: number) => void) =>
  actionCommand(approveAction, io, exit);
