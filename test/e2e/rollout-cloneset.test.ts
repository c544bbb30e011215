// Releases of a 6-replica OpenKruise CloneSet in steps 1 / 50% pause{} / 100%, driven by Slipway's controller and
// webhook (child process) while the real OpenKruise controller (kruise-manager, test/cluster/kruise.ts) moves
// the pods.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
  LABEL_MANAGED_BY,
} from "../../src/api/names.ts";
import { done, ensureKruise, notYet, waitFor } from "./lib/index.ts";
import { getCloneSet } from "./rollout/cloneset.ts";
import { startController, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteRollout,
  deleteWebhookConfigurations,
  getRollout,
  installCrds,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { slipwayPlan } from "./rollout/plan.ts";
import {
  allOnNewRevision,
  at,
  CLONESET,
  inScenario,
  NAME,
  nativeStrategy,
  podsSettled,
  type ScenarioContext,
} from "./rollout/scenario.ts";

const N = CLONESET.replicas;
const STEPS = [{ replicas: 1 }, { replicas: "50%", pause: {} }, { replicas: "100%" }];
const V1 = "example/web:v1";
const V2 = "example/web:v2";

let controller: SlipwayProcess;

beforeAll(async () => {
  // kruise first: the controller checks at start whether the API server serves CloneSets.
  await ensureKruise();
  await installCrds();
  controller = await startController("cloneset-tests");
}, 60 * 60_000); // a cold kruise-manager build takes tens of minutes; cached, this takes seconds

afterAll(async () => {
  await controller?.kill("SIGTERM");
  await deleteWebhookConfigurations();
});

const scenario = (body: (ctx: ScenarioContext) => Promise<void>) =>
  inScenario(CLONESET, { kind: "CloneSet", steps: STEPS }, () => tail(controller), body);

const until = (ns: string, what: string, check: Parameters<typeof waitForRollout>[3]) =>
  waitForRollout(ns, NAME, what, check);

/** `count` ready canary pods, the rest of the N ready on other revisions, none terminating. */
const settled = (monitor: ScenarioContext["monitor"], canary: string, count: number) =>
  podsSettled(monitor, canary, count, N - count);

describe(`a ${N}-replica CloneSet released in steps 1 / 50% pause{} / 100%`, () => {
  it("moves exactly the pods `slipway plan` predicts, waits for alice's approval and ends Healthy with the original update strategy", async () => {
    await scenario(async ({ ns, monitor, rollout }) => {
      const plan = await slipwayPlan(rollout, N);
      expect(plan.map((p) => p.canaryReplicas)).toEqual([1, 3, 6]);
      const original = await nativeStrategy(ns, CLONESET);
      const [stable] = [...monitor.counts().keys()];

      await setTemplate(ns, "CloneSet", NAME, V2);
      const paused = await until(ns, "waiting for approval at step 2", at.approvalPause);
      const canary = paused.status?.canaryRevision ?? "";
      expect(paused.status?.stableRevision).toBe(stable);
      await settled(monitor, canary, plan[1]!.canaryReplicas);
      const held = await getCloneSet(ns, NAME);
      expect(held.spec.updateStrategy?.partition).toBe(N - plan[1]!.canaryReplicas);
      expect(held.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeDefined();
      // kruise's own view agrees with the pods.
      expect(held.status?.updatedReplicas).toBe(plan[1]!.canaryReplicas);

      await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
      const healthy = await until(ns, "Healthy after the release", at.healthy);
      const s = healthy.status!;
      expect(s.steps?.[1]?.approvedBy).toBe("alice");
      expect(s.history?.map((h) => [h.revision, h.outcome])).toEqual([[canary, "Succeeded"]]);

      expect(await allOnNewRevision(monitor, CLONESET, stable ?? "")).toBe(canary);
      const after = await getCloneSet(ns, NAME);
      expect(after.spec.updateStrategy).toEqual(original);
      expect(after.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
      expect(after.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
      expect(after.metadata?.labels?.[LABEL_MANAGED_BY]).toBe(NAME);
      expect(monitor.violations).toEqual([]);
      for (const p of plan)
        expect(monitor.maxCanaryByStep.get(p.step), `canary pods at step ${p.step}`).toBe(p.canaryReplicas);
    });
  }, 180_000);

  it("abort at 50% returns every pod to the stable revision and keeps the CloneSet held", async () => {
    await scenario(async ({ ns, monitor }) => {
      await setTemplate(ns, "CloneSet", NAME, V2);
      const paused = await until(ns, "at the approval pause", at.approvalPause);
      const canary = paused.status?.canaryRevision ?? "";
      await settled(monitor, canary, 3);
      await annotate(ns, NAME, ANNOTATION_ABORT, "true", "alice");
      const aborted = await until(ns, "Aborted", at.aborted);
      expect(aborted.status?.message).toContain("aborted at step 2/3");
      await settled(monitor, canary, 0);
      const cs = await getCloneSet(ns, NAME);
      expect(cs.spec.updateStrategy?.partition).toBe("100%");
      expect(cs.spec.template.spec.containers[0]?.image).toBe(V2);
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);

  it("reverting the template at 50% rolls back (history RolledBack) and hands the original strategy back", async () => {
    await scenario(async ({ ns, monitor }) => {
      const original = await nativeStrategy(ns, CLONESET);
      await setTemplate(ns, "CloneSet", NAME, V2);
      const paused = await until(ns, "at the approval pause", at.approvalPause);
      const canary = paused.status?.canaryRevision ?? "";
      await settled(monitor, canary, 3);
      await setTemplate(ns, "CloneSet", NAME, V1);
      const healthy = await until(ns, "Healthy after the rollback", at.healthy);
      expect(healthy.status?.history?.map((h) => [h.revision, h.outcome])).toEqual([[canary, "RolledBack"]]);
      await settled(monitor, canary, 0);
      const cs = await getCloneSet(ns, NAME);
      expect(cs.spec.updateStrategy).toEqual(original);
      expect(cs.status?.currentRevision).toBe(cs.status?.updateRevision);
      expect(cs.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);

  it("deleting the Rollout mid-release leaves the CloneSet unpaused with its original partition, and kruise finishes natively", async () => {
    await scenario(async ({ ns, monitor }) => {
      const original = await nativeStrategy(ns, CLONESET);
      await setTemplate(ns, "CloneSet", NAME, V2);
      const paused = await until(ns, "at the approval pause", at.approvalPause);
      await deleteRollout(ns, NAME);
      await waitFor("the Rollout to be gone", async () =>
        (await getRollout(ns, NAME)) === undefined ? done(undefined) : notYet("still there"),
      );
      const cs = await getCloneSet(ns, NAME);
      expect(cs.spec.updateStrategy).toEqual(original);
      expect(cs.spec.updateStrategy?.paused ?? false).toBe(false);
      expect(cs.metadata?.labels?.[LABEL_MANAGED_BY]).toBeUndefined();
      expect(cs.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
      expect(cs.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
      // No pod lost: kruise rolls the rest to the new template itself.
      await settled(monitor, paused.status?.canaryRevision ?? "", N);
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);
});
