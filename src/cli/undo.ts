// `kubectl slipway undo NAME`: put the workload's pod template back to the stable revision, which ends the
// release as a rollback (SPEC §5.6). Works on a held (paused) Deployment, unlike `kubectl rollout undo`.
import type { CliIo } from "./io.ts";
import { actionCommand, type ActionSpec } from "./rollout-action.ts";

export const undoAction: ActionSpec<object> = {
  name: "undo",
  description:
    "set the workload's pod template back to the stable revision (ends the release as rolled back)",
  verb: "undo rollout",
  act: async ({ conn, name }) => (await import("./stable-template.ts")).revertToStable(conn, name),
};

export const undoCommand = (io: CliIo, exit: (code: number) => void) => actionCommand(undoAction, io, exit);
