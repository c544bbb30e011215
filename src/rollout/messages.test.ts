// Status, condition, history and Event texts over random releases (approve, abort, retry, promote, rollback,
// supersede, broken pods): each names its step once and suggests the CLI command before the raw annotation.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../api/names.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";
import { testRollout } from "./testing/rollout-fixture.ts";

type Action = "approve" | "abort" | "retry" | "promote" | "release" | "revert" | "break" | "wait";

async function act(d: Driver, action: Action, next: () => string): Promise<void> {
  const a = d.world.annotations;
  switch (action) {
    case "approve":
      a[ANNOTATION_APPROVE] = String(d.world.status?.currentStepIndex ?? 1);
      a[ANNOTATION_APPROVED_BY] = "alice";
      break;
    case "abort":
      a[ANNOTATION_ABORT] = "now";
      break;
    case "retry":
      a[ANNOTATION_RETRY] = "now";
      break;
    case "promote":
      a[ANNOTATION_PROMOTE] = "step";
      break;
    case "release":
      d.world.setTemplate(next());
      break;
    case "revert":
      d.world.setTemplate(d.world.status?.stableRevision ?? "v1");
      break;
    case "break":
      d.world.workload.broken.add(d.world.workload.template);
      break;
    case "wait":
      d.now += 10_000;
      break;
  }
  await d.until(() => false, 40).catch(() => undefined);
}

/** The problems of one text, empty when it reads well. */
export function wordingProblems(text: string): string[] {
  const problems: string[] = [];
  if ((text.match(/\bstep \d+\/\d+/g) ?? []).length > 1) problems.push("names its step twice");
  if (/\bstep \d+(\/\d+)?: step \d+/.test(text)) problems.push("repeats the step prefix");
  if (/\babort(ed|ing)\b[^;]*: aborted\b/.test(text)) problems.push("says aborted twice");
  if (/rolled back\b[^;]*rolled back\b/.test(text)) problems.push("says rolled back twice");
  if (/set rollouts\.slipway\.dev\/(retry|approve)/.test(text) && !text.includes("kubectl slipway"))
    problems.push("suggests a raw annotation without the command");
  if (/finished: \d+ steps succeeded/.test(text) && /rolled back|RolledBack/.test(text))
    problems.push("calls a rollback a finished run");
  return problems;
}

describe("wordingProblems", () => {
  it("catches the texts a reviewer found", () => {
    expect(
      wordingProblems('step 4/4: step 4: waiting for approval (rollouts.slipway.dev/approve: "4")'),
    ).not.toEqual([]);
    expect(wordingProblems("aborted at step 2/4: aborted")).not.toEqual([]);
    expect(
      wordingProblems("aborted at step 2/4: x; set rollouts.slipway.dev/retry to start again"),
    ).not.toEqual([]);
    expect(wordingProblems("release of v2: RolledBack (finished: 3 steps succeeded, 0 skipped)")).not.toEqual(
      [],
    );
    expect(wordingProblems("aborted at step 2/4 by a user (rollouts.slipway.dev/abort)")).toEqual([]);
  });
});

describe("messages over random releases", () => {
  it("name each step once and suggest the command", async () => {
    const action = fc.constantFrom<Action>(
      "approve",
      "abort",
      "retry",
      "promote",
      "release",
      "revert",
      "break",
      "wait",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
        const d = new Driver(new FakeWorld(testRollout({ progressDeadlineSeconds: 60 }), 10));
        await d.quiet();
        let version = 1;
        for (const a of ["release" as const, ...actions]) await act(d, a, () => `v${++version}`);
        for (const text of d.messages) expect(wordingProblems(text), text).toEqual([]);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("a release that goes through every step reads as a user would expect", async () => {
    const d = new Driver(new FakeWorld(testRollout({ progressDeadlineSeconds: 60 }), 10));
    await d.quiet();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused");
    expect(d.world.status?.message).toBe(
      'step 2/4: waiting for approval: kubectl slipway approve web -n ns (or set rollouts.slipway.dev/approve: "2")',
    );
    expect(d.world.status?.steps?.[1]?.message).toBe(
      'waiting for approval: kubectl slipway approve web -n ns (or set rollouts.slipway.dev/approve: "2")',
    );
  });
});
