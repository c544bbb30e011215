// `abort`: after traffic is back on stable (the `traffic-restore` finally step before it), canary pods go back
// to 0 and stable back to N while the workload stays held on the canary template (SPEC §5.6). It never waits
// for canary pods to become ready, so it works in every state, including an unready batch.
import { succeeded, wait, type StepOutcome } from "../../workflow/index.ts";
import type { StepEnv, StepTypeFactory } from "./env.ts";

export const abortStep: StepTypeFactory = (env) => ({ run: () => runAbort(env) });

async function runAbort(env: StepEnv): Promise<StepOutcome> {
  const plan = env.workload.planAbort();
  if (plan.writes.length > 0) {
    await env.apply(plan.writes);
    return wait("aborting: moving pods back to the stable revision");
  }
  if (plan.done) return succeeded();
  const { snapshot } = env.workload;
  return wait(
    `aborting: ${plan.blocked ?? `waiting for stable pods (${snapshot.stable.available}/${snapshot.replicas} available, ${snapshot.canary.pods} canary pod(s) left)`}`,
  );
}
