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
import {
  BEHAVIOR_NEVER_READY,
  applyYaml,
  clients,
  done,
  notYet,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import { deployment } from "./lib/manifests.ts";
import { withController } from "./rollout/controller-process.ts";
import {
  annotate,
  detachRollout,
  deleteWebhookConfigurations,
  getDeployment,
  installCrds,
  patchRollout,
  rolloutManifest,
  setTemplate,
  waitForRollout,
  type RolloutShape,
} from "./rollout/fixtures.ts";
import type { ReleaseMonitor } from "./rollout/release-monitor.ts";
import {
  at,
  inScenario,
  NAME,
  PARTITION_DEPLOYMENT,
  podsSettled,
  type ScenarioContext,
} from "./rollout/scenario.ts";
import { standardRelease } from "./rollout/standard-release.ts";

const N = PARTITION_DEPLOYMENT.replicas;
const V2 = "example/web:v2";
const NEVER_READY = { [LABEL_TEST_BEHAVIOR]: BEHAVIOR_NEVER_READY };

beforeAll(installCrds, 120_000);
afterAll(deleteWebhookConfigurations);

const scenario = (shape: RolloutShape, body: (ctx: ScenarioContext) => Promise<void>) =>
  inScenario("deployment", PARTITION_DEPLOYMENT, shape, body);

/** A fresh namespace with its own controller (for tests that set the workload up themselves). */
const withOwnController = (fn: (ns: string) => Promise<void>) =>
  withNamespace((ns) => withController("deployment", ns, () => fn(ns)));

/** `canary` ready canary pods, the rest of the N on stable, none terminating. */
const settled = (monitor: ReleaseMonitor, canary: string, count: number) =>
  podsSettled(monitor, canary, count, N - count);

const until = (ns: string, what: string, check: Parameters<typeof waitForRollout>[3]) =>
  waitForRollout(ns, NAME, what, check);

describe("a 10-replica Deployment released in steps 1 / 30% pause{} / 60% pause{5s} / 100%", () => {
  it("moves exactly the pods `slipway plan` predicts within the rolling bounds, waits for alice's approval, proceeds after the timed pause and ends Healthy with the Deployment handed back", async () => {
    await withOwnController((ns) => standardRelease(ns, PARTITION_DEPLOYMENT));
  }, 180_000);
});

describe("failures and human actions", () => {
  it("a never-ready release hits progressDeadlineSeconds and is aborted to stable; retry aborts again; reverting the template ends it", async () => {
    await scenario({ progressDeadlineSeconds: 8 }, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, V2, NEVER_READY);
      const aborted = await until(ns, "Aborted by the progress deadline", at.aborted);
      const canary = aborted.status?.canaryRevision ?? "";
      expect(aborted.status?.message).toContain("ProgressDeadlineExceeded");
      await settled(monitor, canary, 0);
      expect((await getDeployment(ns, NAME)).spec?.paused).toBe(true);

      await annotate(ns, NAME, ANNOTATION_RETRY, "please", "alice");
      await until(ns, "retried from step 1", (s) => s.phase === "Progressing" && s.currentStepIndex === 1);
      const again = await until(
        ns,
        "aborted again",
        (s) => at.aborted(s) && (s.history ?? []).filter((h) => h.outcome === "Aborted").length === 2,
      );
      expect(again.metadata.annotations?.[ANNOTATION_RETRY]).toBeUndefined();
      await settled(monitor, canary, 0);

      await setTemplate(ns, "Deployment", NAME, "example/web:v1", { [LABEL_TEST_BEHAVIOR]: null });
      const healthy = await until(ns, "Healthy after the revert", at.healthy);
      expect(healthy.status?.history?.at(-1)?.outcome).toBe("RolledBack");
      const d = await getDeployment(ns, NAME);
      expect(d.spec?.paused ?? false).toBe(false);
      expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);

  it("abort during the approval pause moves every pod back to stable and keeps the Deployment held", async () => {
    await scenario({}, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, V2);
      const paused = await until(ns, "at the approval pause", at.approvalPause);
      await annotate(ns, NAME, ANNOTATION_ABORT, "true", "alice");
      const aborted = await until(ns, "Aborted", at.aborted);
      expect(aborted.status?.message).toContain("aborted at step 2/4");
      await settled(monitor, paused.status?.canaryRevision ?? "", 0);
      expect((await getDeployment(ns, NAME)).spec?.paused).toBe(true);
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);

  it("abort while a batch is unready works at once, without waiting for the canary", async () => {
    await scenario({ progressDeadlineSeconds: 600 }, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, V2, NEVER_READY);
      const upgrading = await until(
        ns,
        "step 1 waiting for an unready canary",
        (s) => s.currentStepIndex === 1 && s.currentStepState === "Verifying",
      );
      await annotate(ns, NAME, ANNOTATION_ABORT, "true", "alice");
      await until(ns, "Aborted", at.aborted);
      await settled(monitor, upgrading.status?.canaryRevision ?? "", 0);
    });
  }, 180_000);

  it("reverting the template mid-release rolls back without creating pods beyond the bounds (history RolledBack)", async () => {
    await scenario({}, async ({ ns, monitor }) => {
      const replicaSets = async () =>
        (await clients().apps.listNamespacedReplicaSet({ namespace: ns })).items;
      const before = (await replicaSets()).length;
      await setTemplate(ns, "Deployment", NAME, V2);
      const paused = await until(ns, "at the approval pause", at.approvalPause);
      const canary = paused.status?.canaryRevision ?? "";
      await setTemplate(ns, "Deployment", NAME, "example/web:v1");
      const healthy = await until(ns, "Healthy after the rollback", at.healthy);
      expect(healthy.status?.history?.map((h) => [h.revision, h.outcome])).toEqual([[canary, "RolledBack"]]);
      await settled(monitor, canary, 0);
      // The stable ReplicaSet came back; only the canary's was added (no third one).
      expect((await replicaSets()).length).toBe(before + 1);
      const d = await getDeployment(ns, NAME);
      expect(d.spec?.paused ?? false).toBe(false);
      expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);

  it("a third template mid-release drops the previous canary before the new one grows and restarts from step 1", async () => {
    await scenario({}, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, V2);
      const first = await until(ns, "v2 at the approval pause", at.approvalPause);
      await setTemplate(ns, "Deployment", NAME, "example/web:v3");
      const second = await until(
        ns,
        "v3 at the approval pause",
        (s) => s.canaryRevision !== first.status?.canaryRevision && at.approvalPause(s),
      );
      expect(second.status?.history?.map((h) => h.outcome)).toEqual(["Superseded"]);
      await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
      await until(ns, "Healthy on v3", at.healthy);
      await settled(monitor, second.status?.canaryRevision ?? "", N);
      expect(monitor.maxRevisionsAtOnce).toBe(2);
      expect(monitor.violations).toEqual([]);
    });
  }, 180_000);
});

describe("attaching", () => {
  it("a Rollout naming a Deployment that does not exist yet says so, and attaches once it is created", async () => {
    await withOwnController(async (ns) => {
      await applyYaml([rolloutManifest(ns, NAME)]);
      const waiting = await until(
        ns,
        "reports the missing Deployment",
        (s) =>
          s.conditions?.some((c) => c.type === "WorkloadAttached" && c.reason === "WorkloadNotFound") ===
          true,
      );
      expect(waiting.status?.phase).toBe("Initializing");
      expect(waiting.status?.message).toContain("does not exist");
      await applyYaml([deployment({ name: NAME, namespace: ns, replicas: N, image: "example/web:v1" })]);
      await until(ns, "attached and Healthy", (s) => at.healthy(s) && at.attached(s));
      expect((await getDeployment(ns, NAME)).metadata?.labels?.[LABEL_MANAGED_BY]).toBe(NAME);
    });
  }, 120_000);
});

describe("racing the attach", () => {
  it("a release that starts the moment the Deployment is attached goes through to Succeeded", async () => {
    await withOwnController(async (ns) => {
      await applyYaml([deployment({ name: NAME, namespace: ns, replicas: N, image: "example/web:v1" })]);
      await waitFor(`Deployment ${ns}/${NAME} available`, async () => {
        const d = await getDeployment(ns, NAME);
        return d.status?.availableReplicas === N ? done(undefined) : notYet(d.status);
      });
      await applyYaml([rolloutManifest(ns, NAME, { steps: [{ replicas: "50%" }, { replicas: "100%" }] })]);
      await waitFor(
        "the managed-by label",
        async () => {
          const d = await getDeployment(ns, NAME);
          return d.metadata?.labels?.[LABEL_MANAGED_BY] === NAME
            ? done(undefined)
            : notYet(d.metadata?.labels);
        },
        { intervalMs: 20 },
      );
      await setTemplate(ns, "Deployment", NAME, V2);
      const healthy = await until(
        ns,
        "Healthy with the release succeeded",
        (s) => at.healthy(s) && (s.history?.length ?? 0) > 0,
      );
      expect(healthy.status?.history?.map((h) => h.outcome)).toEqual(["Succeeded"]);
      const d = await getDeployment(ns, NAME);
      expect(d.spec?.template?.spec?.containers[0]?.image).toBe(V2);
      expect(d.spec?.paused ?? false).toBe(false);
    });
  }, 120_000);
});

describe("detaching and pausing", () => {
  for (const how of ["deleting the Rollout", "disabled: true"] as const) {
    it(`${how} mid-release leaves the Deployment unpaused with its original strategy and every pod accounted for`, async () => {
      await scenario({}, async ({ ns, monitor }) => {
        const original = (await getDeployment(ns, NAME)).spec?.strategy;
        await setTemplate(ns, "Deployment", NAME, V2);
        const paused = await until(ns, "at the approval pause", at.approvalPause);
        await detachRollout(ns, NAME, how);
        const d = await getDeployment(ns, NAME);
        expect(d.spec?.paused ?? false).toBe(false);
        expect(d.spec?.strategy).toEqual(original);
        expect(d.metadata?.labels?.[LABEL_MANAGED_BY]).toBeUndefined();
        expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
        expect(d.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
        // The native rollout takes it from there: every pod on the new template, none lost.
        await settled(monitor, paused.status?.canaryRevision ?? "", N);
        expect(monitor.violations).toEqual([]);
      });
    }, 180_000);
  }

  it("spec.paused: true freezes the release and false lets it continue", async () => {
    await scenario({ paused: true }, async ({ ns, monitor }) => {
      await setTemplate(ns, "Deployment", NAME, V2);
      const frozen = await until(ns, "Paused", (s) => s.phase === "Paused");
      const canary = frozen.status?.canaryRevision ?? "";
      // An observation window: no canary pod may appear while paused.
      const end = Date.now() + 4_000;
      let canaryPods = 0;
      await waitFor("4 s of watching pods while paused", () => {
        canaryPods = Math.max(canaryPods, monitor.counts().get(canary)?.total ?? 0);
        return Date.now() >= end ? done(undefined) : notYet(Object.fromEntries(monitor.counts()));
      });
      expect(canaryPods, "canary pods created while spec.paused").toBe(0);
      await patchRollout(ns, NAME, { spec: { paused: false } });
      await until(
        ns,
        "continues to the approval pause",
        (s) => s.phase === "Progressing" && at.approvalPause(s),
      );
      await settled(monitor, canary, 3);
    });
  }, 180_000);
});
