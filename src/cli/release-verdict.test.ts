import { describe, expect, it } from "vitest";
import { ANNOTATION_RELEASE } from "../api/names.ts";
import type { RolloutStatus } from "../api/rollout-status.ts";
import { validRollout } from "../api/testdata/fixtures.ts";
import { asRollout } from "./rollouts.ts";
import { verdictOf } from "./release-verdict.ts";

const base = asRollout(validRollout());
const withStatus = (status: RolloutStatus, generation = 1) => ({
  ...base,
  metadata: { ...base.metadata, generation },
  status: { observedGeneration: generation, ...status },
});
const history = (outcome: "Succeeded" | "RolledBack" | "Aborted") => [
  { revision: "old", outcome: "Succeeded" as const, startedAt: "2025-01-01T00:00:00Z" },
  { revision: "new", outcome, startedAt: "2025-01-02T00:00:00Z", reason: "why" },
];

describe("verdictOf (status --wait)", () => {
  it("a running or paused release is pending", () => {
    expect(verdictOf(withStatus({ phase: "Progressing", currentStepIndex: 1 }), undefined, false).kind).toBe(
      "pending",
    );
    expect(verdictOf(withStatus({ phase: "Paused", currentStepIndex: 2 }), undefined, true).kind).toBe(
      "pending",
    );
  });

  it("a status older than the spec is pending until the controller caught up", () => {
    const stale = {
      ...withStatus({ phase: "Healthy" }, 3),
      status: { phase: "Healthy" as const, observedGeneration: 2 },
    };
    expect(verdictOf(stale, undefined, false)).toEqual({
      kind: "pending",
      message: "waiting for the controller to observe generation 3",
    });
  });

  it("Aborted fails; Healthy succeeds", () => {
    expect(
      verdictOf(
        withStatus({ phase: "Aborted", currentStepIndex: 2, message: "gate failed" }),
        undefined,
        false,
      ),
    ).toMatchObject({
      kind: "failed",
      message: expect.stringContaining("aborted at step 2/"),
    });
    expect(verdictOf(withStatus({ phase: "Healthy", stableRevision: "abc" }), undefined, false).kind).toBe(
      "succeeded",
    );
  });

  it("Healthy while the workload carries a release annotation means the release has not started yet", () => {
    const workload = { metadata: { annotations: { [ANNOTATION_RELEASE]: "{}" } } };
    expect(verdictOf(withStatus({ phase: "Healthy" }), workload, false).kind).toBe("pending");
  });

  it("a rollback seen during the wait fails; one from before the wait is old news", () => {
    const rolledBack = withStatus({ phase: "Healthy", history: history("RolledBack") });
    expect(verdictOf(rolledBack, undefined, true)).toEqual({
      kind: "failed",
      message: "release of new rolled back: why",
    });
    expect(verdictOf(rolledBack, undefined, false).kind).toBe("succeeded");
    expect(
      verdictOf(withStatus({ phase: "Healthy", history: history("Succeeded") }), undefined, true).kind,
    ).toBe("succeeded");
  });

  it("prints the controller's message without adding the step or verb it already says", () => {
    const n = base.spec.strategy.canary.steps.length;
    const waiting = `step ${n}/${n}: waiting for approval: kubectl slipway approve web -n shop (or set rollouts.slipway.dev/approve: "${n}")`;
    expect(
      verdictOf(withStatus({ phase: "Progressing", currentStepIndex: n, message: waiting }), undefined, true),
    ).toEqual({ kind: "pending", message: waiting });
    const aborted = `aborted at step 2/${n} by alice (rollouts.slipway.dev/abort); to start again: kubectl slipway retry web -n shop (or set rollouts.slipway.dev/retry); to end it: kubectl slipway undo web -n shop (the template back to the stable revision)`;
    expect(
      verdictOf(withStatus({ phase: "Aborted", currentStepIndex: 2, message: aborted }), undefined, true),
    ).toEqual({ kind: "failed", message: aborted });
    const rolledBack = withStatus({
      phase: "Healthy",
      history: [
        {
          revision: "new",
          outcome: "RolledBack",
          startedAt: "2025-01-02T00:00:00Z",
          reason: "rolled back at step 2/3: the template was set back to revision old",
        },
      ],
    });
    expect(verdictOf(rolledBack, undefined, true)).toEqual({
      kind: "failed",
      message: "release of new rolled back at step 2/3: the template was set back to revision old",
    });
  });
});
