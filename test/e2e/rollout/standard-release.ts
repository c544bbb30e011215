// Scenario 1 of issue 6, for any workload style: steps 1 / 30% pause{} / 60% pause{5s} / 100%.
import { expect } from "vitest";
import {
  ANNOTATION_APPROVE,
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
  LABEL_MANAGED_BY,
} from "../../../src/api/names.ts";
import { clients } from "../lib/index.ts";
import { annotate, setTemplate, waitForRollout } from "./fixtures.ts";
import { slipwayPlan } from "./plan.ts";
import {
  allOnNewRevision,
  attach,
  NAME,
  nativeStrategy,
  podsSettled,
  stableFor,
  workloadState,
  type Subject,
} from "./scenario.ts";

export async function standardRelease(ns: string, subject: Subject): Promise<void> {
  const { rollout, monitor } = await attach(ns, subject);
  try {
    const plan = await slipwayPlan(rollout, subject.replicas);
    const original = await nativeStrategy(ns, subject);
    const before = [...monitor.counts().keys()];

    await setTemplate(ns, subject.kind, NAME, "example/web:v2");
    const atApproval = await waitForRollout(
      ns,
      NAME,
      "waiting for approval at step 2",
      (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
    );
    expect(atApproval.status?.phase).toBe("Progressing");
    const canary = atApproval.status?.canaryRevision ?? "";
    await podsSettled(monitor, canary, plan[1]!.canaryReplicas, stableFor(subject, plan[1]!.canaryReplicas));

    await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
    const timed = await waitForRollout(
      ns,
      NAME,
      "timed pause at step 3",
      (s) => s.currentStepIndex === 3 && s.currentStepState === "Paused",
    );
    expect(timed.status?.steps?.[1]?.approvedBy).toBe("alice");
    await podsSettled(monitor, canary, plan[2]!.canaryReplicas, stableFor(subject, plan[2]!.canaryReplicas));

    const healthy = await waitForRollout(ns, NAME, "Healthy after the release", (s) => s.phase === "Healthy");
    const s = healthy.status!;
    // The timed pause ran its 5 s by itself: step 4 began at least 5 s after step 3.
    const paused = Date.parse(s.steps?.[3]?.startedAt ?? "") - Date.parse(s.steps?.[2]?.startedAt ?? "");
    expect(paused).toBeGreaterThanOrEqual(5_000);
    expect(s.conditions?.find((c) => c.type === "Succeeded")?.status).toBe("True");
    expect(s.history?.map((h) => [h.revision, h.outcome])).toEqual([[canary, "Succeeded"]]);
    expect(healthy.metadata.annotations?.[ANNOTATION_APPROVE]).toBeUndefined();

    await allOnNewRevision(monitor, subject, before[0] ?? "");
    const after = await workloadState(ns, subject);
    expect(after.held).toBe(false);
    expect(await nativeStrategy(ns, subject)).toEqual(original);
    expect(after.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
    expect(after.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
    expect(after.metadata?.labels?.[LABEL_MANAGED_BY]).toBe(NAME);
    if (subject.style === "canary-deployment") {
      const names = (await clients().apps.listNamespacedDeployment({ namespace: ns })).items.map(
        (d) => d.metadata?.name,
      );
      expect(names).toEqual([NAME]);
    }

    expect(monitor.violations).toEqual([]);
    for (const p of plan)
      expect(monitor.maxCanaryByStep.get(p.step), `canary pods at step ${p.step}`).toBe(p.canaryReplicas);
  } finally {
    monitor.stop();
  }
}
