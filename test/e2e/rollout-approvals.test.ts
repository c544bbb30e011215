// An approval ends the wait of the step it names, now (SPEC §3): `kubectl slipway approve` sent again while
// the release still moves pods towards the next step's pause is refused by the webhook with the reason, and
// that later pause still waits for its own approval. A real controller and webhook (child process) against the
// local control plane; the CLI runs in-process as alice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { slipway } from "./cli/support.ts";
import {
  ANNOTATION_READY_DELAY,
  clients,
  done,
  notYet,
  statusCode,
  strategicMergePatch,
  waitFor,
} from "./lib/index.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  getRollout,
  installCrds,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { at, inScenario, NAME, PARTITION_DEPLOYMENT } from "./rollout/scenario.ts";

beforeAll(installCrds, 120_000);
afterAll(deleteWebhookConfigurations);

/** Two approval pauses in a row: step 3's batch runs between them. */
const STEPS = [
  { replicas: 1 },
  { replicas: "30%", pause: {} },
  { replicas: "60%", pause: {} },
  { replicas: "100%" },
];

/**
 * `kubectl set image` plus a readiness delay on the new pods (kwok stage), so step 3's batch takes at least
 * that long: the window in which a second approval used to be kept for step 3's pause.
 */
async function releaseSlowPods(ns: string, delay: string): Promise<void> {
  const body = {
    spec: {
      template: {
        metadata: { annotations: { [ANNOTATION_READY_DELAY]: delay } },
        spec: { containers: [{ name: "app", image: "example/web:v2" }] },
      },
    },
  };
  await waitFor("the new template to be admitted", async () => {
    try {
      await clients().apps.patchNamespacedDeployment(
        { namespace: ns, name: NAME, body },
        strategicMergePatch,
      );
      return done(undefined);
    } catch (err) {
      const code = statusCode(err);
      if (code !== undefined && code < 500) throw err;
      return notYet(err); // the webhook restarting (failurePolicy: Fail)
    }
  });
}

describe("approvals", () => {
  it("a second `slipway approve` while step 3 still moves pods says step 2 is approved already (exit 0), `--step 3` is refused, and step 3's pause still waits for its own approval", async () => {
    await inScenario("approvals", PARTITION_DEPLOYMENT, { steps: STEPS }, async ({ ns }) => {
      await releaseSlowPods(ns, "10s");
      const paused2 = await waitForRollout(ns, NAME, "at step 2's approval pause", at.approvalPause);
      const canary = paused2.status?.canaryRevision ?? "";

      const first = await slipway(["approve", NAME, "-n", ns], { as: "alice" });
      expect([first.code, first.err]).toEqual([0, ""]);
      expect(first.out).toContain(`rollout ${ns}/${NAME}: approved step 2 of revision ${canary}`);
      const moving = await waitForRollout(
        ns,
        NAME,
        "step 3 moving pods",
        (s) =>
          s.currentStepIndex === 3 &&
          (s.currentStepState === "Upgrading" || s.currentStepState === "Verifying"),
      );

      // Approving again is harmless: it says step 2 is approved already and succeeds, approving nothing.
      const second = await slipway(["approve", NAME, "-n", ns], { as: "alice" });
      expect([second.code, second.err]).toEqual([0, ""]);
      expect(second.out).toContain(
        `rollout ${ns}/${NAME}: step 2 was already approved by alice; nothing to approve now (the release is at step 3, `,
      );
      // Naming step 3 asks for its approval now, which is refused while it moves pods.
      const early = await slipway(["approve", NAME, "-n", ns, "--step", "3"], { as: "alice" });
      expect(early.code).toBe(1);
      expect(early.err).toMatch(
        new RegExp(
          `^error: cannot approve rollout ${ns}/${NAME}: .*step 3 of rollout ${ns}/${NAME} is not waiting for approval yet \\(it is (Upgrading|Verifying)\\): an approval ends the pause it names and is not kept for later; approve again once step 3 pauses\\n$`,
        ),
      );
      // The same refusal for a hand-written annotation (kubectl annotate).
      await expect(annotate(ns, NAME, ANNOTATION_APPROVE, "3", "alice")).rejects.toThrow(
        /step 3 of rollout .* is not waiting for approval yet/,
      );
      expect((await getRollout(ns, NAME))?.metadata.annotations?.[ANNOTATION_APPROVE]).toBeUndefined();
      expect(moving.status?.currentStepIndex).toBe(3);

      // Step 3 reaches its pause and stays there: nothing was kept to skip it.
      const paused3 = await waitForRollout(
        ns,
        NAME,
        "at step 3's approval pause",
        (s) => s.currentStepIndex === 3 && s.currentStepState === "Paused",
      );
      expect(paused3.status?.steps?.[2]?.approvedBy).toBeUndefined();
      expect(paused3.status?.steps?.[1]?.approvedBy).toBe("alice");

      const third = await slipway(["approve", NAME, "-n", ns], { as: "alice" });
      expect([third.code, third.err]).toEqual([0, ""]);
      const healthy = await waitForRollout(ns, NAME, "Healthy after step 3 was approved", at.healthy);
      expect(healthy.status?.history?.at(-1)?.outcome).toBe("Succeeded");
    });
  }, 180_000);
});
