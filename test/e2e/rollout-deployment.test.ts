// Releases of a 10-replica Deployment (partition style) driven by the real controller and webhook, run as a
// child process against the local control plane.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
  ANNOTATION_RETRY,
  LABEL_MANAGED_BY,
  LABEL_TEST_BEHAVIOR,
} from "../../src/api/names.ts";
import { BEHAVIOR_NEVER_READY, clients, done, notYet, waitFor, withNamespace } from "./lib/index.ts";
import { startController, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteRollout,
  deleteWebhookConfigurations,
  getDeployment,
  getRollout,
  installCrds,
  patchRollout,
  setTemplate,
  waitForRollout,
  type RolloutShape,
} from "./rollout/fixtures.ts";
import type { ReleaseMonitor } from "./rollout/release-monitor.ts";
import { attach, NAME, PARTITION_DEPLOYMENT, podsSettled as settled } from "./rollout/scenario.ts";
import { standardRelease } from "./rollout/standard-release.ts";

const N = PARTITION_DEPLOYMENT.replicas;

let controller: SlipwayProcess;

beforeAll(async () => {
  await installCrds();
  controller = await startController("deployment-tests");
}, 120_000);

afterAll(async () => {
  await controller?.kill("SIGTERM");
  await deleteWebhookConfigurations();
});

const attached = (ns: string, shape: RolloutShape = {}) => attach(ns, PARTITION_DEPLOYMENT, shape);

const onFailure = (ns: string) => `\n${tail(controller)}\nnamespace ${ns}`;

/** Pods settled: `canaryCount` ready canary pods, the rest of the N on stable. */
const podsSettled = (_ns: string, monitor: ReleaseMonitor, canary: string, canaryCount: number) =>
  settled(monitor, canary, canaryCount, N - canaryCount);

describe("a 10-replica Deployment released in steps 1 / 30% pause{} / 60% pause{5s} / 100%", () => {
  it("moves exactly the pods `slipway plan` predicts within the rolling bounds, waits for alice's approval, proceeds after the timed pause and ends Healthy with the Deployment handed back", async () => {
    await withNamespace(async (ns) => {
      try {
        await standardRelease(ns, PARTITION_DEPLOYMENT);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      }
    });
  }, 180_000);
});

describe("failures and human actions", () => {
  it("a never-ready release hits progressDeadlineSeconds and is aborted to stable; retry aborts again; reverting the template ends it", async () => {
    await withNamespace(async (ns) => {
      const { monitor } = await attached(ns, { progressDeadlineSeconds: 8 });
      try {
        await setTemplate(ns, "Deployment", NAME, "example/web:v2", { [LABEL_TEST_BEHAVIOR]: BEHAVIOR_NEVER_READY });
        const aborted = await waitForRollout(ns, NAME, "Aborted by the progress deadline", (s) =>
          s.phase === "Aborted" && s.conditions?.some((c) => c.type === "Progressing" && c.status === "False") === true,
        );
        const canary = aborted.status?.canaryRevision ?? "";
        expect(aborted.status?.message).toContain("ProgressDeadlineExceeded");
        await podsSettled(ns, monitor, canary, 0);
        expect((await getDeployment(ns, NAME)).spec?.paused).toBe(true);

        await annotate(ns, NAME, ANNOTATION_RETRY, "please", "alice");
        await waitForRollout(ns, NAME, "retried from step 1", (s) => s.phase === "Progressing" && s.currentStepIndex === 1);
        const again = await waitForRollout(ns, NAME, "aborted again", (s) =>
          s.phase === "Aborted" && (s.history ?? []).filter((h) => h.outcome === "Aborted").length === 2,
        );
        expect(again.metadata.annotations?.[ANNOTATION_RETRY]).toBeUndefined();
        await podsSettled(ns, monitor, canary, 0);

        await setTemplate(ns, "Deployment", NAME, "example/web:v1", { [LABEL_TEST_BEHAVIOR]: null });
        const healthy = await waitForRollout(ns, NAME, "Healthy after the revert", (s) => s.phase === "Healthy");
        expect(healthy.status?.history?.at(-1)?.outcome).toBe("RolledBack");
        const d = await getDeployment(ns, NAME);
        expect(d.spec?.paused ?? false).toBe(false);
        expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
        expect(monitor.violations).toEqual([]);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);

  it("abort during the approval pause moves every pod back to stable and keeps the Deployment held", async () => {
    await withNamespace(async (ns) => {
      const { monitor } = await attached(ns);
      try {
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const paused = await waitForRollout(ns, NAME, "at the approval pause", (s) =>
          s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        await annotate(ns, NAME, ANNOTATION_ABORT, "true", "alice");
        const aborted = await waitForRollout(ns, NAME, "Aborted", (s) =>
          s.phase === "Aborted" && s.conditions?.some((c) => c.type === "Progressing" && c.status === "False") === true,
        );
        expect(aborted.status?.message).toContain("aborted at step 2/4");
        await podsSettled(ns, monitor, paused.status?.canaryRevision ?? "", 0);
        expect((await getDeployment(ns, NAME)).spec?.paused).toBe(true);
        expect(monitor.violations).toEqual([]);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);

  it("abort while a batch is unready works at once, without waiting for the canary", async () => {
    await withNamespace(async (ns) => {
      const { monitor } = await attached(ns, { progressDeadlineSeconds: 600 });
      try {
        await setTemplate(ns, "Deployment", NAME, "example/web:v2", { [LABEL_TEST_BEHAVIOR]: BEHAVIOR_NEVER_READY });
        const upgrading = await waitForRollout(ns, NAME, "step 1 waiting for an unready canary", (s) =>
          s.currentStepIndex === 1 && s.currentStepState === "Verifying",
        );
        await annotate(ns, NAME, ANNOTATION_ABORT, "true", "alice");
        await waitForRollout(ns, NAME, "Aborted", (s) =>
          s.phase === "Aborted" && s.conditions?.some((c) => c.type === "Progressing" && c.status === "False") === true,
        );
        await podsSettled(ns, monitor, upgrading.status?.canaryRevision ?? "", 0);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);

  it("reverting the template mid-release rolls back without creating pods beyond the bounds (history RolledBack)", async () => {
    await withNamespace(async (ns) => {
      const { monitor } = await attached(ns);
      try {
        const replicaSetsBefore = (await clients().apps.listNamespacedReplicaSet({ namespace: ns })).items.length;
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const paused = await waitForRollout(ns, NAME, "at the approval pause", (s) =>
          s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        const canary = paused.status?.canaryRevision ?? "";
        await setTemplate(ns, "Deployment", NAME, "example/web:v1");
        const healthy = await waitForRollout(ns, NAME, "Healthy after the rollback", (s) => s.phase === "Healthy");
        expect(healthy.status?.history?.map((h) => [h.revision, h.outcome])).toEqual([[canary, "RolledBack"]]);
        await podsSettled(ns, monitor, canary, 0);
        const replicaSets = (await clients().apps.listNamespacedReplicaSet({ namespace: ns })).items;
        // The stable ReplicaSet came back; only the canary's was added (no third one).
        expect(replicaSets.length).toBe(replicaSetsBefore + 1);
        const d = await getDeployment(ns, NAME);
        expect(d.spec?.paused ?? false).toBe(false);
        expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
        expect(monitor.violations).toEqual([]);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);

  it("a third template mid-release drops the previous canary before the new one grows and restarts from step 1", async () => {
    await withNamespace(async (ns) => {
      const { monitor } = await attached(ns);
      try {
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const first = await waitForRollout(ns, NAME, "v2 at the approval pause", (s) =>
          s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        await setTemplate(ns, "Deployment", NAME, "example/web:v3");
        const second = await waitForRollout(ns, NAME, "v3 at the approval pause", (s) =>
          s.canaryRevision !== first.status?.canaryRevision && s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        expect(second.status?.history?.map((h) => h.outcome)).toEqual(["Superseded"]);
        await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
        await waitForRollout(ns, NAME, "Healthy on v3", (s) => s.phase === "Healthy");
        await podsSettled(ns, monitor, second.status?.canaryRevision ?? "", N);
        expect(monitor.maxRevisionsAtOnce).toBe(2);
        expect(monitor.violations).toEqual([]);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);
});

describe("detaching and pausing", () => {
  for (const how of ["deleting the Rollout", "disabled: true"] as const) {
    it(`${how} mid-release leaves the Deployment unpaused with its original strategy and every pod accounted for`, async () => {
      await withNamespace(async (ns) => {
        const { monitor } = await attached(ns);
        try {
          const original = (await getDeployment(ns, NAME)).spec?.strategy;
          await setTemplate(ns, "Deployment", NAME, "example/web:v2");
          const paused = await waitForRollout(ns, NAME, "at the approval pause", (s) =>
            s.currentStepIndex === 2 && s.currentStepState === "Paused",
          );
          if (how === "deleting the Rollout") {
            await deleteRollout(ns, NAME);
            await waitFor("the Rollout to be gone", async () => ((await getRollout(ns, NAME)) === undefined ? done(undefined) : notYet("still there")));
          } else {
            await patchRollout(ns, NAME, { spec: { disabled: true } });
            await waitForRollout(ns, NAME, "Disabled", (s) => s.phase === "Disabled");
          }
          const d = await getDeployment(ns, NAME);
          expect(d.spec?.paused ?? false).toBe(false);
          expect(d.spec?.strategy).toEqual(original);
          expect(d.metadata?.labels?.[LABEL_MANAGED_BY]).toBeUndefined();
          expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
          expect(d.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
          // The native rollout takes it from there: every pod on the new template, none lost.
          await podsSettled(ns, monitor, paused.status?.canaryRevision ?? "", N);
          expect(monitor.violations).toEqual([]);
        } catch (err) {
          throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
        } finally {
          monitor.stop();
        }
      });
    }, 180_000);
  }

  it("spec.paused: true freezes the release and false lets it continue", async () => {
    await withNamespace(async (ns) => {
      const { monitor } = await attached(ns, { paused: true });
      try {
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const frozen = await waitForRollout(ns, NAME, "Paused", (s) => s.phase === "Paused");
        const canary = frozen.status?.canaryRevision ?? "";
        // Watch for a while: no canary pod may appear while paused.
        const until = Date.now() + 4_000;
        await waitFor("4 s without a canary pod while paused", () => {
          if ((monitor.counts().get(canary)?.total ?? 0) > 0) throw new Error("a canary pod appeared while paused");
          return Date.now() >= until ? done(undefined) : notYet(Object.fromEntries(monitor.counts()));
        });
        await patchRollout(ns, NAME, { spec: { paused: false } });
        await waitForRollout(ns, NAME, "continues to the approval pause", (s) =>
          s.phase === "Progressing" && s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        await podsSettled(ns, monitor, canary, 3);
      } catch (err) {
        throw new Error(`${(err as Error).message}${onFailure(ns)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);
});
