// `kubectl slipway promote NAME [--full]`: skip the rest of the current step, or (--full) every remaining
// step, pause and gate.
import { Option } from "commander";
import { ANNOTATION_PROMOTE } from "../api/names.ts";
import type { CliIo } from "./io.ts";
import { actionCommand, followHint, type ActionSpec } from "./rollout-action.ts";

export const promoteAction: ActionSpec<{ readonly full?: boolean }> = {
  name: "promote",
  description: "skip the rest of the current step (--full: all remaining steps, pauses and analysis)",
  verb: "promote rollout",
  options: (command) =>
    command.addOption(
      new Option("--full", "skip every remaining step, pause and gate: release to all pods now"),
    ),
  act: async ({ conn, name, opts, rollouts }) => {
    const full = opts.full === true;
    await rollouts.annotateRollout(conn, name, { [ANNOTATION_PROMOTE]: full ? "full" : "step" });
    const what = full
      ? "every remaining step, pause and gate is skipped"
      : "the rest of the current step is skipped";
    return [`rollout ${conn.namespace}/${name}: promote requested (${what})`, followHint(conn, name)];
  },
};

export const promoteCommand = (io: CliIo, exit: (code: number) => void) =>
  actionCommand(promoteAction, io, exit);
