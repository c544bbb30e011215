// `kubectl slipway retry NAME`: restart an aborted release from step 1.
import { ANNOTATION_RETRY } from "../api/names.ts";
import type { CliIo } from "./io.ts";
import { actionCommand, followHint, requestedAt, type ActionSpec } from "./rollout-action.ts";

export const retryAction: ActionSpec<object> = {
  name: "retry",
  description: "restart an aborted release from step 1",
  verb: "retry rollout",
  act: async ({ conn, name, io, rollouts }) => {
    await rollouts.annotateRollout(conn, name, { [ANNOTATION_RETRY]: requestedAt(io) });
    return [
      `rollout ${conn.namespace}/${name}: retry requested (the release starts again from step 1)`,
      followHint(conn, name),
    ];
  },
};

export const retryCommand = (io: CliIo, exit: (code: number) => void) => actionCommand(retryAction, io, exit);
