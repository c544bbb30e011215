// `kubectl slipway resume NAME`: undo `pause` (spec.paused: false). It does not approve a step that waits
// for approval; it says so.
import { pauseOf } from "../api/defaults.ts";
import type { CliIo } from "./io.ts";
import { actionCommand, type ActionSpec } from "./rollout-action.ts";

export const resumeAction: ActionSpec<object> = {
  name: "resume",
  description: "let a paused Rollout progress again (spec.paused: false)",
  verb: "resume rollout",
  act: async ({ conn, name, rollouts }) => {
    const { rollout } = await rollouts.readRollout(conn, name);
    const lines: string[] = [];
    if (rollout.spec.paused === true) {
      await rollouts.patchRolloutSpec(conn, name, { paused: false });
      lines.push(`rollout ${conn.namespace}/${name}: resumed`);
    } else {
      lines.push(`rollout ${conn.namespace}/${name} was not paused`);
    }
    const status = rollout.status;
    const step = rollout.spec.strategy.canary.steps[(status?.currentStepIndex ?? 0) - 1];
    if (
      status?.currentStepState === "Paused" &&
      step !== undefined &&
      pauseOf(step.pause).kind === "approval"
    ) {
      lines.push(
        `note: step ${status.currentStepIndex} waits for approval; resume does not approve it: ` +
          `kubectl slipway approve ${name} -n ${conn.namespace}`,
      );
    }
    return lines;
  },
};

export const resumeCommand = (io: CliIo, exit: (code: number) => void) =>
  actionCommand(resumeAction, io, exit);
