// How a message tells a person to act: the CLI command first, the raw annotation in parentheses for those
// without the plugin (SPEC §3). One place, so every message words it the same way.
import { ANNOTATION_ABORT, ANNOTATION_APPROVE, ANNOTATION_RETRY } from "./names.ts";

export interface RolloutName {
  readonly name: string;
  readonly namespace: string;
}

function command(verb: string, rollout: RolloutName | undefined): string {
  if (rollout === undefined) return `kubectl slipway ${verb} <rollout>`;
  const ns = rollout.namespace === "" ? "" : ` -n ${rollout.namespace}`;
  return `kubectl slipway ${verb} ${rollout.name}${ns}`;
}

/** `kubectl slipway approve web -n shop (or set rollouts.slipway.dev/approve: "4")`. */
export function approveHint(rollout: RolloutName | undefined, step: number): string {
  return `${command("approve", rollout)} (or set ${ANNOTATION_APPROVE}: "${step}")`;
}

/** `kubectl slipway retry web -n shop (or set rollouts.slipway.dev/retry)`. */
export function retryHint(rollout: RolloutName | undefined): string {
  return `${command("retry", rollout)} (or set ${ANNOTATION_RETRY})`;
}

/** `kubectl slipway undo web -n shop`: the template back to the stable revision (no annotation does this). */
export function undoHint(rollout: RolloutName | undefined): string {
  return command("undo", rollout);
}

/** `kubectl slipway abort web -n shop (or set rollouts.slipway.dev/abort)`. */
export function abortHint(rollout: RolloutName | undefined): string {
  return `${command("abort", rollout)} (or set ${ANNOTATION_ABORT})`;
}

/** A leading `step 3: ` / `step 3 ` (a step's own label) dropped: the status message names the step once. */
export function withoutStepLabel(message: string, index: number): string {
  const colon = `step ${index}: `;
  if (message.startsWith(colon)) return message.slice(colon.length);
  const space = `step ${index} `;
  return message.startsWith(space) ? message.slice(space.length) : message;
}
