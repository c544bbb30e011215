import { describe, expect, it } from "vitest";
import type { RolloutStatus } from "../api/rollout-status.ts";
import { validRollout } from "../api/testdata/fixtures.ts";
import { alreadyApproved } from "./approve.ts";
import { asRollout } from "./rollouts.ts";

const base = asRollout(validRollout());
const name = `${base.metadata.namespace ?? ""}/${base.metadata.name}`;
const at = (status: RolloutStatus) => ({ ...base, status });
const steps: RolloutStatus["steps"] = [
  { index: 1, phase: "Succeeded" },
  { index: 2, phase: "Succeeded", approvedBy: "alice" },
  { index: 3, phase: "Running" },
];

describe("alreadyApproved (a repeated approve is harmless)", () => {
  it("a second approve after the release moved on says who approved, and is success", () => {
    const moving = at({ phase: "Progressing", currentStepIndex: 3, currentStepState: "Upgrading", steps });
    expect(alreadyApproved(moving, undefined)).toBe(
      `rollout ${name}: step 2 was already approved by alice; nothing to approve now (the release is at step 3, Upgrading)`,
    );
    expect(alreadyApproved(moving, 2)).toContain("step 2 was already approved by alice");
    const finalizing = at({ phase: "Finalizing", currentStepIndex: 3, steps });
    expect(alreadyApproved(finalizing, undefined)).toContain("(the rollout is Finalizing)");
  });

  it("a step that waits now, a named step not yet approved, or an aborted release: nothing to say", () => {
    const waiting = at({ phase: "Progressing", currentStepIndex: 3, currentStepState: "Paused", steps });
    expect(alreadyApproved(waiting, undefined)).toBeUndefined();
    expect(alreadyApproved(waiting, 3)).toBeUndefined();
    const moving = at({ phase: "Progressing", currentStepIndex: 3, currentStepState: "Upgrading", steps });
    expect(alreadyApproved(moving, 3)).toBeUndefined();
    expect(alreadyApproved(at({ phase: "Aborted", currentStepIndex: 3, steps }), undefined)).toBeUndefined();
    const none = at({ phase: "Progressing", currentStepIndex: 1, currentStepState: "Upgrading" });
    expect(alreadyApproved(none, undefined)).toBeUndefined();
  });
});
