import { describe, expect, it } from "vitest";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
  FINALIZER_CLEANUP,
} from "../api/names.ts";
import type { Rollout } from "../api/rollout.ts";
import { testRollout } from "./testing/rollout-fixture.ts";
import { Driver } from "./testing/driver.ts";
import { FakeWorld } from "./testing/fake-world.ts";

const rollout = (canary: Parameters<typeof testRollout>[0] = {}) =>
  testRollout({ progressDeadlineSeconds: 60, ...canary });

async function attached(r: Rollout = rollout(), replicas = 10): Promise<Driver> {
  const d = new Driver(new FakeWorld(r, replicas));
  await d.quiet();
  expect(d.world.status?.phase).toBe("Healthy");
  expect(d.world.finalizers).toContain(FINALIZER_CLEANUP);
  expect(d.world.workload.labelled).toBe(true);
  return d;
}

const step = (d: Driver) => d.world.status?.currentStepIndex;
const phase = (d: Driver) => d.world.status?.phase;
const condition = (d: Driver, type: string) => d.world.status?.conditions?.find((c) => c.type === type);
/** Aborted and done aborting (every pod back on stable, history written). */
const aborted = (d: Driver) => phase(d) === "Aborted" && condition(d, "Progressing")?.status === "False";

function approve(d: Driver, value: string, by = "alice"): void {
  d.world.annotations[ANNOTATION_APPROVE] = value;
  d.world.annotations[ANNOTATION_APPROVED_BY] = by;
}

describe("a release through steps 1 / 30% pause{} / 60% pause{5s} / 100%", () => {
  it("moves pods step by step, waits for approval, records the approver, and ends Healthy", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    expect(d.world.podsOf("v2")).toBe(3);
    expect(d.world.podsOf("v1")).toBe(7);
    expect(phase(d)).toBe("Progressing");
    expect(d.world.status?.steps?.[0]?.phase).toBe("Succeeded");
    // Waits as long as nobody approves, whatever the clock says.
    d.now += 3_600_000;
    await d.quiet();
    expect(step(d)).toBe(2);
    expect(d.world.podsOf("v2")).toBe(3);

    approve(d, "2");
    await d.until(() => step(d) === 3 && d.world.status?.currentStepState === "Paused");
    expect(d.world.status?.steps?.[1]?.approvedBy).toBe("alice");
    expect(d.world.annotations[ANNOTATION_APPROVE]).toBeUndefined();
    expect(d.world.annotations[ANNOTATION_APPROVED_BY]).toBeUndefined();
    expect(d.world.podsOf("v2")).toBe(6);
    const pausedAt = d.now;

    await d.until(() => phase(d) === "Healthy");
    expect(d.now - pausedAt).toBeGreaterThanOrEqual(5_000);
    expect(d.world.podsOf("v2")).toBe(10);
    expect(d.world.workload.held).toBe(false);
    expect(d.world.workload.inRelease).toBe(false);
    expect(condition(d, "Succeeded")?.status).toBe("True");
    expect(d.world.status?.history?.map((h) => [h.revision, h.outcome])).toEqual([["v2", "Succeeded"]]);
    expect(d.world.status?.stableRevision).toBe("v2");
    expect(d.world.status?.currentStepIndex).toBe(0);
    expect(d.world.maxRevisionsAtOnce).toBe(2);
    const reasons = d.world.events.map((e) => e.reason);
    for (const r of [
      "ReleaseStarted",
      "StepStarted",
      "BatchReady",
      "Paused",
      "Approved",
      "Finalizing",
      "ReleaseSucceeded",
    ]) {
      expect(reasons).toContain(r);
    }
  });

  it("drops an approval given while its step still moves pods (Warning): the step's pause still waits", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => step(d) === 2 && d.world.status?.currentStepState === "Upgrading");
    approve(d, "2");
    await d.once();
    expect(d.world.annotations[ANNOTATION_APPROVE]).toBeUndefined();
    expect(d.world.events).toContainEqual({
      type: "Warning",
      reason: "ActionIgnored",
      message:
        'approval "2" ignored: step 2 is not waiting for approval yet; an approval is not kept for a pause to come: approve again once it pauses',
    });
    await d.until(() => step(d) === 2 && d.world.status?.currentStepState === "Paused");
    d.now += 3_600_000;
    await d.quiet();
    expect([step(d), d.world.status?.currentStepState]).toEqual([2, "Paused"]);
    approve(d, "2");
    await d.until(() => step(d) === 3);
    expect(d.world.status?.steps?.[1]?.approvedBy).toBe("alice");
  });

  it("rejects an approval bound to another revision", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    approve(d, "2@other");
    await d.quiet();
    expect(step(d)).toBe(2);
    expect(d.world.events.some((e) => e.reason === "ActionIgnored")).toBe(true);
    approve(d, "2@v2");
    await d.until(() => step(d) === 3);
  });
});

describe("failures", () => {
  it("a never-ready batch hits the progress deadline, aborts to stable, retries from step 1, and a revert ends it", async () => {
    const d = await attached();
    d.world.workload.broken.add("v2");
    d.world.setTemplate("v2");
    await d.until(() => aborted(d));
    expect(d.world.podsOf("v1")).toBe(10);
    expect(d.world.status?.message).toContain("ProgressDeadlineExceeded");
    expect(condition(d, "Aborted")?.status).toBe("True");
    expect(d.world.workload.held).toBe(true);
    expect(d.world.status?.history?.at(-1)?.outcome).toBe("Aborted");

    d.world.annotations[ANNOTATION_RETRY] = "1";
    await d.until(() => phase(d) === "Progressing");
    expect(step(d)).toBe(1);
    expect(d.world.annotations[ANNOTATION_RETRY]).toBeUndefined();
    await d.until(() => aborted(d));
    expect(d.world.status?.history?.filter((h) => h.outcome === "Aborted")).toHaveLength(2);

    d.world.setTemplate("v1");
    await d.until(() => phase(d) === "Healthy");
    expect(d.world.workload.held).toBe(false);
    expect(d.world.podsOf("v1")).toBe(10);
    expect(d.world.status?.history?.at(-1)?.outcome).toBe("RolledBack");
  });

  it("onFailure: pause waits for a human at the deadline, and approval gives the batch a new deadline", async () => {
    const d = await attached(rollout({ onFailure: "pause" }));
    d.world.workload.broken.add("v2");
    d.world.setTemplate("v2");
    await d.until(() => phase(d) === "Paused");
    expect(d.world.status?.message).toContain("ProgressDeadlineExceeded");
    expect(d.world.podsOf("v2")).toBe(1);
    d.world.workload.broken.delete("v2");
    approve(d, "1");
    await d.until(() => step(d) === 2 && d.world.status?.currentStepState === "Paused");
  });

  it("a manual abort during the approval pause moves every pod back and records who aborted", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    d.world.annotations[ANNOTATION_ABORT] = "yes";
    d.world.annotations[ANNOTATION_APPROVED_BY] = "bob";
    await d.until(() => aborted(d));
    expect(d.world.podsOf("v1")).toBe(10);
    expect(d.world.status?.message).toContain(
      "aborted at step 2/4 by bob (rollouts.slipway.dev/abort); to start again: kubectl slipway retry",
    );
    expect(d.world.annotations[ANNOTATION_ABORT]).toBeUndefined();
  });

  it("a manual abort while a batch is unready works without waiting for readiness", async () => {
    const d = await attached();
    d.world.workload.broken.add("v2");
    d.world.setTemplate("v2");
    await d.until(() => d.world.podsOf("v2") === 1);
    d.world.annotations[ANNOTATION_ABORT] = "now";
    await d.until(() => aborted(d));
  });
});

describe("rollback and supersede", () => {
  it("reverting the template mid-release hands the workload back and records RolledBack", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    const before = d.world.maxTotalPods;
    d.world.setTemplate("v1");
    await d.until(() => phase(d) === "Healthy");
    expect(d.world.podsOf("v1")).toBe(10);
    expect(d.world.podsOf("v2")).toBe(0);
    expect(d.world.maxTotalPods).toBe(before);
    expect(d.world.status?.history?.map((h) => [h.revision, h.outcome])).toEqual([["v2", "RolledBack"]]);
    // Every place names the rolled-back revision and where it was rolled back, not the stable one.
    const why = "rolled back at step 2/4: the template was set back to revision v1";
    expect(d.world.status?.history?.[0]?.reason).toBe(why);
    expect(d.world.status?.message).toBe("no release in progress (last release v2: RolledBack)");
    expect(condition(d, "Succeeded")?.message).toBe(`release v2 ${why}`);
    expect(d.world.events.find((e) => e.reason === "ReleaseRolledBack")?.message).toBe(
      `release of v2: RolledBack (${why})`,
    );
  });

  it("a third template mid-release drops the previous canary first and restarts from step 1", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    d.world.setTemplate("v3");
    await d.until(() => d.world.status?.canaryRevision === "v3" && d.world.podsOf("v3") === 1);
    expect(d.world.maxRevisionsAtOnce).toBe(2);
    expect(d.world.status?.history?.map((h) => [h.revision, h.outcome])).toEqual([["v2", "Superseded"]]);
    approve(d, "2");
    await d.until(() => step(d) === 2 && d.world.status?.currentStepState === "Paused");
    approve(d, "2");
    await d.until(() => phase(d) === "Healthy");
    expect(d.world.podsOf("v3")).toBe(10);
  });
});

describe("spec.paused, promote, detach", () => {
  it("spec.paused freezes everything and false continues", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.steps?.[0]?.phase === "Running");
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, paused: true } };
    await d.quiet();
    const pods = d.world.podsOf("v2");
    const writes = d.world.writes.length;
    d.now += 3_600_000;
    await d.quiet();
    expect(phase(d)).toBe("Paused");
    expect(d.world.writes.length).toBe(writes);
    expect(d.world.podsOf("v2")).toBe(pods);
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, paused: false } };
    // The paused hour does not count against the progress deadline.
    await d.until(() => step(d) === 2 && d.world.status?.currentStepState === "Paused");
    expect(phase(d)).toBe("Progressing");
  });

  it("promote full skips every remaining step and gate", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    d.world.annotations[ANNOTATION_PROMOTE] = "full";
    await d.until(() => phase(d) === "Healthy");
    expect(d.world.podsOf("v2")).toBe(10);
  });

  it("deleting the Rollout mid-release unpauses the workload and removes the finalizer", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    d.world.deleting = true;
    await d.until(() => !d.world.finalizers.includes(FINALIZER_CLEANUP));
    expect(d.world.workload.held).toBe(false);
    expect(d.world.workload.labelled).toBe(false);
  });

  it("disabled: true detaches mid-release and reports Disabled", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, disabled: true } };
    await d.until(() => phase(d) === "Disabled");
    expect(d.world.workload.held).toBe(false);
    expect(d.world.status?.workflow).toBeUndefined();
    expect(d.world.status?.history?.at(-1)?.outcome).toBe("Aborted");
  });
});

describe("detaching an aborted release", () => {
  async function abortedOnBrokenTemplate(): Promise<Driver> {
    const d = await attached();
    d.world.workload.broken.add("v2");
    d.world.setTemplate("v2");
    await d.until(() => aborted(d));
    expect(d.world.workload.template).toBe("v2");
    expect(d.world.status?.message).toContain("to end it: kubectl slipway undo web -n ns");
    return d;
  }

  it("deleting the Rollout undoes the aborted template instead of rolling it out natively", async () => {
    const d = await abortedOnBrokenTemplate();
    const history = d.world.status?.history?.length;
    d.world.deleting = true;
    await d.until(() => !d.world.finalizers.includes(FINALIZER_CLEANUP));
    const w = d.world.workload;
    expect(w.template).toBe("v1");
    expect(w.held).toBe(false);
    expect(w.labelled).toBe(false);
    expect(d.world.writes.findIndex((op) => op.op === "revert")).toBeLessThan(
      d.world.writes.findIndex((op) => op.op === "restore"),
    );
    expect(d.world.podsOf("v2")).toBe(0);
    expect(d.world.podsOf("v1")).toBe(10);
    const undone = d.world.events.find((e) => e.reason === "AbortedReleaseUndone");
    expect(undone?.message).toMatch(/being deleted.*aborted.*set back to the stable revision v1/);
    expect(d.world.status?.history?.length).toBe(history);
  });

  it("disabled: true undoes the aborted template too, and reports Disabled", async () => {
    const d = await abortedOnBrokenTemplate();
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, disabled: true } };
    await d.until(() => phase(d) === "Disabled");
    expect(d.world.workload.template).toBe("v1");
    expect(d.world.workload.held).toBe(false);
    expect(d.world.podsOf("v2")).toBe(0);
    expect(d.world.events.some((e) => e.reason === "AbortedReleaseUndone")).toBe(true);
  });

  it("a template set by a user after the abort is handed back as it is (nothing to undo)", async () => {
    const d = await abortedOnBrokenTemplate();
    d.world.rollout = { ...d.world.rollout, spec: { ...d.world.rollout.spec, disabled: true } };
    d.world.setTemplate("v3");
    await d.until(() => phase(d) === "Disabled");
    expect(d.world.workload.template).toBe("v3");
    expect(d.world.writes.some((op) => op.op === "revert")).toBe(false);
  });

  it("a release that is going on (not aborted) is still finished natively", async () => {
    const d = await attached();
    d.world.setTemplate("v2");
    await d.until(() => d.world.status?.currentStepState === "Paused" && step(d) === 2);
    d.world.deleting = true;
    await d.until(() => !d.world.finalizers.includes(FINALIZER_CLEANUP));
    expect(d.world.workload.template).toBe("v2");
    expect(d.world.writes.some((op) => op.op === "revert")).toBe(false);
  });
});

describe("status size", () => {
  it("stays well under 100 KiB through a 50-step release with pauses", async () => {
    const steps = Array.from({ length: 50 }, (_, i) => ({
      replicas: `${2 * (i + 1)}%`,
      pause: { duration: "1s" },
    }));
    const d = await attached(rollout({ steps }), 100);
    d.world.setTemplate("v2");
    let largest = 0;
    await d.until(() => {
      largest = Math.max(largest, JSON.stringify(d.world.status).length);
      return phase(d) === "Healthy" && (d.world.status?.history?.length ?? 0) === 1;
    }, 2_000);
    expect(d.world.podsOf("v2")).toBe(100);
    expect(largest).toBeGreaterThan(10_000);
    expect(largest).toBeLessThan(60 * 1024);
  }, 60_000);
});
