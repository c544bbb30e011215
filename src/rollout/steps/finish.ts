// `finish`: the ordered, resumable end of a release (SPEC §5.5) — release the workload to its native
// controller, wait until every pod runs the workload's template and is available, then remove the release
// annotations. The same step hands a rolled-back workload back (its template is then the stable one).
// Traffic clean-up runs before it as its own finally step (`traffic-restore`).
import { succeeded, wait, type StepContext, type StepOutcome } from "../../workflow/index.ts";
import { objectOf, type StepEnv, type StepTypeFactory } from "./env.ts";

export const finishStep: StepTypeFactory = (env) => ({ run: (ctx) => runFinish(env, ctx) });

async function runFinish(env: StepEnv, ctx: StepContext): Promise<StepOutcome> {
  // Persist phase Finalizing first: only then does the webhook let the workload be unpaused.
  if (objectOf(ctx.memory)["started"] !== true)
    return { ...wait("finishing: releasing the workload"), memory: { started: true } };
  const release = env.workload.planRelease();
  if (release.writes.length > 0) {
    await env.apply(release.writes);
    return wait("finishing: handing the workload back to its native rollout");
  }
  if (release.blocked !== undefined) return wait(`finishing: ${release.blocked}`);
  if (!env.workload.releaseDone()) {
    const { snapshot } = env.workload;
    return wait(
      `finishing: waiting for every pod to run the new revision and be available ` +
        `(${snapshot.canary.available}/${snapshot.replicas} available)`,
    );
  }
  const cleanup = env.workload.planCleanup();
  if (cleanup.writes.length > 0) {
    await env.apply(cleanup.writes);
    return wait("finishing: removing the release annotations");
  }
  if (!cleanup.done) return wait(`finishing: ${cleanup.blocked ?? "cleaning up"}`);
  return succeeded();
}
