// `pause`: `pause: {}` waits for `approve: <step>`; `pause: {duration}` waits that long from the moment the
// step began (persisted, so a restarted controller does not start the timer again). Approving ends either.
import { succeeded, suspended, type StepContext, type StepOutcome } from "../../workflow/index.ts";
import { approveHint } from "../../api/action-hints.ts";
import { promotionOf } from "../record.ts";
import { objectOf, stepIndexOf, type StepEnv, type StepTypeFactory } from "./env.ts";

/** The resume token of step i's pause; the approve annotation resumes it. */
export const approvalToken = (index: number): string => `approve-${index}`;

export const pauseStep: StepTypeFactory = (env) => ({
  validate: (properties) => {
    const s = properties["seconds"];
    return s === undefined || (typeof s === "number" && s >= 0) ? [] : ["properties.seconds must be >= 0"];
  },
  run: (ctx) => runPause(env, ctx),
});

function runPause(env: StepEnv, ctx: StepContext): StepOutcome {
  const index = stepIndexOf(ctx.properties);
  if (ctx.resume !== undefined) {
    const by = objectOf(ctx.resume.payload)["approvedBy"];
    return succeeded({ approved: true, ...(typeof by === "string" && by !== "" ? { approvedBy: by } : {}) });
  }
  const promotion = promotionOf(env.record);
  if (promotion?.full === true || (promotion?.throughStep ?? 0) >= index)
    return succeeded({ promoted: true });
  const token = approvalToken(index);
  const seconds = ctx.properties["seconds"];
  if (typeof seconds !== "number") {
    return suspended(token, {
      reason: `waiting for approval: ${approveHint(env.rollout, index)}`,
    });
  }
  const until = ctx.firstStartedAt + seconds * 1000;
  if (ctx.now >= until) return succeeded({ waited: seconds });
  return suspended(token, { until, reason: `paused until ${new Date(until).toISOString()}` });
}
