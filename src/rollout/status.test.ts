import { describe, expect, it } from "vitest";
import { withDefaults } from "../api/defaults.ts";
import { definitionFor, endRun, newRecord } from "./run-control.ts";
import { computeStatus, type Standing } from "./status.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const spec = withDefaults(testRollout().spec);
const definition = definitionFor("release", spec);
const started = newRecord(
  { kind: "release", key: "template-v2", stableRevision: "v1", canaryRevision: "v2" },
  definition,
  0,
  undefined,
);
const aborted = {
  ...endRun(started, { outcome: "Aborted", reason: "aborted by alice", force: true }),
  run: { ...started.run, phase: "Terminated" as const },
};

const statusFor = (standing: Standing, record: typeof aborted | undefined) =>
  computeStatus({
    previous: undefined,
    generation: 1,
    spec,
    standing,
    record,
    definition,
    snapshot: undefined,
    history: [],
    now: 0,
  });

describe("status after an abort", () => {
  it("advises a retry only while the workload still holds the aborted release", () => {
    const held = statusFor({ kind: "attached", nativeRolloutInProgress: false, releaseHeld: true }, aborted);
    expect(held.phase).toBe("Aborted");
    expect(held.message).toContain("set rollouts.slipway.dev/retry");

    const gone = statusFor({ kind: "attached", nativeRolloutInProgress: false, releaseHeld: false }, aborted);
    expect(gone.phase).toBe("Aborted");
    expect(gone.message).not.toContain("rollouts.slipway.dev/retry");
    expect(gone.message).toContain("change the template to start a new release");
  });
});

describe("status of a template Slipway did not hold", () => {
  it("is Initializing while its native rollout finishes, and says Slipway manages the next release", () => {
    const status = statusFor(
      { kind: "attached", nativeRolloutInProgress: true, releaseHeld: false },
      undefined,
    );
    expect(status.phase).toBe("Initializing");
    expect(status.message).toContain("its native rollout is finishing; Slipway manages the next release");
  });
});
