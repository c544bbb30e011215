// Steps in mixed units whose pod counts shrink at the workload's size (SPEC §2.1, §5.2, §8: steps must not
// decrease). Admission can only compare steps of the same unit; the controller judges the mix at the live
// replica count and refuses the release instead of moving pods back to stable. A real controller and webhook
// (child process) against the local control plane.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_RETRY } from "../../src/api/names.ts";
import { clients } from "./lib/index.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  getDeployment,
  installCrds,
  patchRollout,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { at, inScenario, NAME, PARTITION_DEPLOYMENT, podsSettled } from "./rollout/scenario.ts";

const N = PARTITION_DEPLOYMENT.replicas;

beforeAll(installCrds, 120_000);
afterAll(deleteWebhookConfigurations);

/** 5 pods, then "30%" (3 of 10: fewer), then everything. */
const SHRINKING = [{ replicas: 5 }, { replicas: "30%", pause: {} }, { replicas: "100%" }];

describe("steps that shrink the canary at the live replica count", () => {
  it("a release whose 30% step is fewer pods than the 5 before it is refused before any pod moves; status and a Warning Event name both steps; fixing the steps and retrying releases", async () => {
    await inScenario("step-order", PARTITION_DEPLOYMENT, { steps: SHRINKING }, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, "example/web:v2");
      const aborted = await waitForRollout(ns, NAME, "Aborted by the step check", at.aborted);
      const canary = aborted.status?.canaryRevision ?? "";
      const why =
        'the steps shrink the canary at 10 replicas: step 2 ("30%") is 3 pod(s) at 10 replicas, fewer than ' +
        "step 1 (5 = 5 pod(s)): the canary would shrink; raise step 2 to at least 5 pod(s) or reorder the steps";
      expect(aborted.status?.message).toContain(`aborted at step 1/3: ${why}`);
      const events = await clients().core.listNamespacedEvent({ namespace: ns });
      const warnings = events.items
        .filter((e) => e.involvedObject.kind === "Rollout" && e.type === "Warning")
        .map((e) => `${e.reason}: ${e.message}`);
      expect(warnings).toContainEqual(expect.stringContaining(`StepFailed: step 1/3: ${why}`));
      // Refused before the first write: no canary pod ever existed, nothing went backwards.
      expect(monitor.maxCanaryByStep.get(1) ?? 0).toBe(0);
      expect(monitor.canaryDecreases).toEqual([]);
      await podsSettled(monitor, canary, 0, N);
      expect((await getDeployment(ns, NAME)).spec?.paused).toBe(true);

      // The fix: step 1 below step 2 at this size. Editing a step's replicas is allowed on an aborted release.
      await patchRollout(ns, NAME, {
        spec: { strategy: { canary: { steps: [{ replicas: 2 }, ...SHRINKING.slice(1)] } } },
      });
      await annotate(ns, NAME, ANNOTATION_RETRY, "fixed", "alice");
      await waitForRollout(ns, NAME, "at the approval pause of step 2", at.approvalPause);
      await podsSettled(monitor, canary, 3, N - 3);
      expect(monitor.canaryDecreases).toEqual([]);
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);
});
