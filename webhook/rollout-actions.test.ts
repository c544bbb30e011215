import { describe, expect, it } from "vitest";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../src/api/names.ts";
import { approvedByAfter, changedActions, refuseActions } from "./rollout-actions.ts";
import { rollout } from "./testing/fixtures.ts";

type Live = Parameters<typeof rollout>[0];
const withAction = (live: Live, key: string, value: string) =>
  rollout({ ...live, annotations: { [key]: value } });

const paused1 = { phase: "Paused", step: 1, stepState: "Paused", canaryRevision: "7c9d8b6f5" };

describe("action checks against the live Rollout", () => {
  it.each<[string, Live, string, string, string | undefined]>([
    ["approve the current paused step", paused1, ANNOTATION_APPROVE, "1", undefined],
    [
      "approve the current step of the current revision",
      paused1,
      ANNOTATION_APPROVE,
      "1@7c9d8b6f5",
      undefined,
    ],
    ["approve a later step", paused1, ANNOTATION_APPROVE, "2", "rollout shop/web is at step 1, not step 2"],
    [
      "approve another revision",
      paused1,
      ANNOTATION_APPROVE,
      "1@5d8f9c7b6",
      "rollout shop/web is releasing revision 7c9d8b6f5, not 5d8f9c7b6",
    ],
    [
      "approve a step that does not exist",
      paused1,
      ANNOTATION_APPROVE,
      "9",
      "rollout shop/web has 3 steps, not 9",
    ],
    [
      "approve garbage",
      paused1,
      ANNOTATION_APPROVE,
      "yes",
      'rollouts.slipway.dev/approve must be a step index, optionally with @<canaryRevision> (e.g. "2" or "2@7c9d8b6f5"), not "yes"',
    ],
    [
      "approve with no release",
      {},
      ANNOTATION_APPROVE,
      "1",
      "nothing to approve: rollout shop/web is Healthy",
    ],
    [
      "approve a step with no pause or analysis while it runs",
      { phase: "Progressing", step: 3, stepState: "Upgrading" },
      ANNOTATION_APPROVE,
      "3",
      "step 3 of rollout shop/web has no pause or analysis to approve",
    ],
    [
      "approve a step with a pause while it still moves pods",
      { phase: "Progressing", step: 2, stepState: "Verifying" },
      ANNOTATION_APPROVE,
      "2@7c9d8b6f5",
      "step 2 of rollout shop/web is not waiting for approval yet (it is Verifying): an approval ends the pause it names and is not kept for later; approve again once step 2 pauses",
    ],
    [
      "approve a step frozen by spec.paused before its pause",
      { phase: "Paused", step: 2, stepState: "Upgrading", paused: true },
      ANNOTATION_APPROVE,
      "2",
      "step 2 of rollout shop/web is not waiting for approval yet (it is Upgrading) and spec.paused froze it there: an approval ends the pause it names and is not kept for later; approve again once step 2 pauses",
    ],
    [
      "approve a step at its pause while spec.paused",
      { phase: "Paused", step: 1, stepState: "Paused", paused: true },
      ANNOTATION_APPROVE,
      "1",
      undefined,
    ],
    [
      "approve an inconclusive analysis or a failure pause (phase Paused)",
      { phase: "Paused", step: 2, stepState: "Analyzing" },
      ANNOTATION_APPROVE,
      "2",
      undefined,
    ],
    ["abort a running release", paused1, ANNOTATION_ABORT, "true", undefined],
    [
      "abort a healthy rollout",
      {},
      ANNOTATION_ABORT,
      "true",
      "nothing to abort: rollout shop/web is Healthy",
    ],
    [
      "abort twice",
      { phase: "Aborted", step: 1 },
      ANNOTATION_ABORT,
      "x",
      "nothing to abort: rollout shop/web is already Aborted",
    ],
    [
      "abort with an empty value",
      paused1,
      ANNOTATION_ABORT,
      " ",
      'rollouts.slipway.dev/abort needs a non-empty value, e.g. "true"',
    ],
    ["retry an aborted release", { phase: "Aborted", step: 1 }, ANNOTATION_RETRY, "1", undefined],
    ["retry a healthy rollout", {}, ANNOTATION_RETRY, "1", "nothing to retry: rollout shop/web is Healthy"],
    ["promote a step", paused1, ANNOTATION_PROMOTE, "step", undefined],
    ["promote fully", { phase: "Progressing", step: 2 }, ANNOTATION_PROMOTE, "full", undefined],
    [
      "promote nonsense",
      paused1,
      ANNOTATION_PROMOTE,
      "all",
      'rollouts.slipway.dev/promote must be "step" or "full", not "all"',
    ],
    [
      "promote an aborted release",
      { phase: "Aborted", step: 1 },
      ANNOTATION_PROMOTE,
      "full",
      "rollout shop/web is Aborted: retry it instead of promoting",
    ],
    [
      "promote a finalizing one",
      { phase: "Finalizing" },
      ANNOTATION_PROMOTE,
      "full",
      "nothing to promote: rollout shop/web is Finalizing",
    ],
  ])("%s", (_name, live, key, value, refusal) => {
    expect(refuseActions(rollout(live), withAction(live, key, value))).toBe(refusal);
  });

  it("checks only actions this update sets or changes", () => {
    const stale = withAction(paused1, ANNOTATION_APPROVE, "2"); // already stored: not re-checked
    expect(changedActions(stale, stale)).toEqual([]);
    expect(refuseActions(stale, stale)).toBeUndefined();
    expect(refuseActions(stale, rollout(paused1))).toBeUndefined(); // removing is always fine
  });

  it("checks the actions of a Rollout being created against the object itself", () => {
    const created = withAction({}, ANNOTATION_ABORT, "true");
    expect(refuseActions(undefined, created)).toBe("nothing to abort: rollout shop/web is Healthy");
  });
});

describe("approved-by", () => {
  const live = rollout(paused1);
  const approve = (value: string, by?: string) =>
    rollout({
      ...paused1,
      annotations: { [ANNOTATION_APPROVE]: value, ...(by ? { [ANNOTATION_APPROVED_BY]: by } : {}) },
    });

  it("is the requester when an approval is set or changed", () => {
    expect(approvedByAfter(live, approve("1"), "alice")).toBe("alice");
    expect(approvedByAfter(approve("1", "alice"), approve("2", "alice"), "bob")).toBe("bob");
  });

  it("cannot be rewritten by someone else, and goes when the approval goes", () => {
    expect(approvedByAfter(approve("1", "alice"), approve("1", "mallory"), "mallory")).toBe("alice");
    expect(
      approvedByAfter(live, rollout({ ...paused1, annotations: { [ANNOTATION_APPROVED_BY]: "x" } }), "x"),
    ).toBeUndefined();
  });
});
