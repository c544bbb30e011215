// `kubectl slipway pause NAME`: freeze progression (spec.paused: true). The controller then changes
// nothing on the workload until `resume`; scaling (HPA) still works.
import type { CliIo } from "./io.ts";
import { actionCommand, type ActionSpec } from "./rollout-action.ts";

export const pauseAction: ActionSpec<object> = {
  name: "pause",
  description: "freeze the release where it is (spec.paused: true) until resume",
  verb: "pause rollout",
  act: async ({ conn, name, rollouts }) => {
    const { rollout } = await rollouts.readRollout(conn, name);
    if (rollout.spec.paused === true) return [`rollout ${conn.namespace}/${name} is already paused`];
    await rollouts.patchRolloutSpec(conn, name, { paused: true });
    return [
      `rollout ${conn.namespace}/${name}: paused (no progress until: kubectl slipway resume ${name} -n ${conn.namespace})`,
    ];
  },
};

export const pauseCommand = (io: CliIo, exit: (code: number) => void) => actionCommand(pauseAction, io, exit);
