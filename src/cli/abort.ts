// `kubectl slipway abort NAME`: abort the release now — traffic back to stable first, then the canary pods
// scale down; the workload stays held on the canary template until retry or undo (SPEC §5.6).
import { ANNOTATION_ABORT } from "../api/names.ts";
import type { CliIo } from "./io.ts";
import { actionCommand, followHint, requestedAt, type ActionSpec } from "./rollout-action.ts";

export const abortAction: ActionSpec<object> = {
  name: "abort",
  description:
    "abort the release: traffic back to stable, canary pods scaled down (retry or undo afterwards)",
  verb: "abort rollout",
  act: async ({ conn, name, io, rollouts }) => {
    await rollouts.annotateRollout(conn, name, { [ANNOTATION_ABORT]: requestedAt(io) });
    const target = `${name} -n ${conn.namespace}`;
    return [
      `rollout ${conn.namespace}/${name}: abort requested (traffic returns to stable, then the canary scales down)`,
      `afterwards: kubectl slipway retry ${target} (start again) or kubectl slipway undo ${target} (revert the template)`,
      followHint(conn, name),
    ];
  },
};

export const abortCommand = (io: CliIo, exit: (code: number) => void) => actionCommand(abortAction, io, exit);
