import { describe, expect, it } from "vitest";
import { withDefaults } from "../api/defaults.ts";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../api/names.ts";
import { createRegistry, succeeded, suspended, tick, wait } from "../workflow/index.ts";
import { applyActions, parseApproval } from "./actions.ts";
import { definitionFor, newRecord } from "./run-control.ts";
import { approvalToken } from "./steps/pause.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

const definition = definitionFor("release", withDefaults(testRollout().spec));

/** A run advanced with stand-in steps until step 2 waits at its approval pause. */
async function atStep2Pause() {
  const registry = createRegistry({
    batch: () => succeeded(),
    pause: (ctx) => (ctx.resume ? succeeded() : suspended(approvalToken(Number(ctx.properties["step"])))),
    finish: () => wait("x"),
    abort: () => wait("x"),
  });
  const record = newRecord(
    { kind: "release", key: "k", stableRevision: "v1", canaryRevision: "c2" },
    definition,
    0,
    undefined,
  );
  const { state } = await tick(definition, record.run, 1, registry);
  return { ...record, run: state };
}

const act = async (annotations: Record<string, string>, releaseStillHeld = true) =>
  applyActions(await atStep2Pause(), { annotations, definition, now: 5, releaseStillHeld });

describe("human actions on a release waiting at step 2", () => {
  it("an approval of step 2 resumes its pause with who approved, and consumes both annotations", async () => {
    const r = await act({ [ANNOTATION_APPROVE]: "2@c2", [ANNOTATION_APPROVED_BY]: "alice" });
    expect(r.record?.run.steps["step-2.pause"]?.resume).toEqual({
      token: "approve-2",
      payload: { approvedBy: "alice" },
    });
    expect(r.consumed).toEqual([ANNOTATION_APPROVE, ANNOTATION_APPROVED_BY]);
  });

  it("refuses approvals for another step or revision with a Warning, and leaves the run alone", async () => {
    for (const value of ["1", "3", "2@other", "two"]) {
      const r = await act({ [ANNOTATION_APPROVE]: value });
      expect(r.record?.run.steps["step-2.pause"]?.resume, value).toBeUndefined();
      expect(r.consumed).toContain(ANNOTATION_APPROVE);
      expect(r.events[0]?.type).toBe("Warning");
    }
  });

  it("abort terminates the run; retry and promote of a running release do nothing but say why", async () => {
    const aborted = await act({ [ANNOTATION_ABORT]: "x", [ANNOTATION_APPROVED_BY]: "bob" });
    expect(aborted.record?.run.terminate?.reason).toBe("aborted by bob (rollouts.slipway.dev/abort)");
    expect(aborted.record?.end).toMatchObject({ outcome: "Aborted", manual: true });
    const retried = await act({ [ANNOTATION_RETRY]: "x" });
    expect(retried.record?.run.generation).toBe(0);
    expect(retried.events[0]?.message).toContain("nothing to retry");
    const bad = await act({ [ANNOTATION_PROMOTE]: "everything" });
    expect(bad.record?.promotion).toBeUndefined();
  });

  it("promote step ends the current pause and is kept for this run generation", async () => {
    const r = await act({ [ANNOTATION_PROMOTE]: "step" });
    expect(r.record?.promotion).toEqual({ generation: 0, throughStep: 2 });
    expect(r.record?.run.steps["step-2.pause"]?.resume?.token).toBe("approve-2");
  });

  it("reads approval values", () => {
    expect(parseApproval("2")).toEqual({ step: 2 });
    expect(parseApproval(" 3@7c9d8b6f5 ")).toEqual({ step: 3, revision: "7c9d8b6f5" });
    expect(parseApproval("x")).toBeUndefined();
  });
});
