// A Rollout attached to a Deployment whose current template was updated before the Rollout existed (SPEC
// §5.1, docs/decisions/attach-after-native-update.md): Slipway never holds that update, waits for its native
// rollout, takes the finished revision as stable, and holds the next template change as a normal release.
import type { V1Deployment, V1ReplicaSet } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANNOTATION_APPROVE,
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
  LABEL_MANAGED_BY,
} from "../../src/api/names.ts";
import {
  ANNOTATION_READY_DELAY,
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
  deleteWebhookConfigurations,
  getDeployment,
  grantRolloutOperator,
  installCrds,
  rolloutManifest,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { at, NAME } from "./rollout/scenario.ts";

const N = 4;
const STEPS = [{ replicas: 1, pause: {} }, { replicas: "100%" }];
const ROLLING = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };

beforeAll(installCrds, 120_000);
afterAll(deleteWebhookConfigurations);

/** 4 pods that take 6 s to become ready, so a native rollout lasts long enough to attach in the middle. */
async function slowDeployment(ns: string): Promise<void> {
  const d = deployment({ name: NAME, namespace: ns, replicas: N, image: "example/web:v1" });
  const template = d.spec!.template;
  template.metadata = { ...template.metadata, annotations: { [ANNOTATION_READY_DELAY]: "6s" } };
  await applyYaml([d]);
  await nativeRolloutDone(ns);
}

/** The revision (pod-template-hash) of the Deployment's current template, once its ReplicaSet exists. */
async function templateRevision(ns: string): Promise<string> {
  return waitFor(`the ReplicaSet of the current template of ${ns}/${NAME}`, async () => {
    const d = await getDeployment(ns, NAME);
    const revision = d.metadata?.annotations?.["deployment.kubernetes.io/revision"];
    const list = await clients().apps.listNamespacedReplicaSet({
      namespace: ns,
      labelSelector: `app=${NAME}`,
    });
    const rs = list.items.find(
      (r: V1ReplicaSet) => r.metadata?.annotations?.["deployment.kubernetes.io/revision"] === revision,
    );
    const hash = rs?.metadata?.labels?.["pod-template-hash"];
    return hash !== undefined && d.status?.observedGeneration === d.metadata?.generation
      ? done(hash)
      : notYet({ revision, status: d.status });
  });
}

/** Every pod on the current template and available, no old pod left. */
async function nativeRolloutDone(ns: string): Promise<void> {
  await waitFor(`${ns}/${NAME}: native rollout done`, async () => {
    const d = await getDeployment(ns, NAME);
    const s = d.status;
    const pods = await clients().core.listNamespacedPod({ namespace: ns, labelSelector: `app=${NAME}` });
    return s?.observedGeneration === d.metadata?.generation &&
      s?.updatedReplicas === N &&
      s.availableReplicas === N &&
      s.replicas === N &&
      pods.items.length === N
      ? done(undefined)
      : notYet({ status: s, pods: pods.items.length });
  });
}

/** What Slipway's hold would leave on the Deployment; empty when it is free. */
function holdMarks(d: V1Deployment): string[] {
  const marks: string[] = [];
  if (d.spec?.paused === true) marks.push("paused");
  if (d.spec?.strategy?.type !== "RollingUpdate") marks.push(`strategy ${d.spec?.strategy?.type}`);
  for (const key of [ANNOTATION_ORIGINAL, ANNOTATION_RELEASE])
    if (d.metadata?.annotations?.[key] !== undefined) marks.push(key);
  return marks;
}

/**
 * Until the Rollout is Healthy: the Deployment is never held, and the Rollout never starts a release.
 * Returns the phases the Rollout went through.
 */
async function attachesWithoutHolding(ns: string, expectedStable: () => Promise<string>) {
  const phases = new Set<string>();
  const marks = new Set<string>();
  const messages = new Set<string>();
  const healthy = await waitFor(
    `${ns}/${NAME}: Healthy without ever holding the native rollout`,
    async () => {
      const d = await getDeployment(ns, NAME);
      for (const mark of holdMarks(d)) marks.add(mark);
      const r = await waitForRollout(ns, NAME, "reconciled", () => true);
      const s = r.status!;
      if (s.phase !== undefined) phases.add(s.phase);
      if (s.phase === "Initializing" && s.message !== undefined) messages.add(s.message);
      return s.phase === "Healthy" && at.attached(s) ? done(r) : notYet({ status: s, marks: [...marks] });
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  expect([...marks]).toEqual([]);
  const status = healthy.status!;
  expect(status.history ?? []).toEqual([]);
  expect(status.stableRevision).toBe(await expectedStable());
  const d = await getDeployment(ns, NAME);
  expect(d.metadata?.labels?.[LABEL_MANAGED_BY]).toBe(NAME);
  expect(d.spec?.strategy).toEqual(ROLLING);
  return { phases, messages };
}

/** The next template change is held and released in steps, then the Deployment is handed back. */
async function nextReleaseIsHeld(ns: string, stable: string): Promise<void> {
  await setTemplate(ns, "Deployment", NAME, "example/web:v3");
  const paused = await waitForRollout(
    ns,
    NAME,
    "v3 held at the approval pause of step 1",
    (s) => s.currentStepIndex === 1 && s.currentStepState === "Paused",
  );
  expect(paused.status?.stableRevision).toBe(stable);
  const held = await getDeployment(ns, NAME);
  expect(held.spec?.paused).toBe(true);
  expect(held.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeDefined();
  expect(JSON.parse(held.metadata?.annotations?.[ANNOTATION_ORIGINAL] ?? "{}")).toMatchObject({
    strategy: ROLLING,
  });
  const v3 = paused.status?.canaryRevision;
  await annotate(ns, NAME, ANNOTATION_APPROVE, v3 === undefined ? "1" : `1@${v3}`, "alice");
  const healthy = await waitForRollout(
    ns,
    NAME,
    "v3 released",
    (s) => at.healthy(s) && s.stableRevision === v3,
  );
  expect(healthy.status?.history?.map((h) => h.outcome)).toEqual(["Succeeded"]);
  await nativeRolloutDone(ns);
  const d = await getDeployment(ns, NAME);
  expect(holdMarks(d)).toEqual([]);
  expect(d.spec?.strategy).toEqual(ROLLING);
}

const withOwnController = (fn: (ns: string) => Promise<void>) =>
  withNamespace((ns) => withController("attach", ns, () => fn(ns)));

describe("a Rollout attached to a Deployment updated before it existed", () => {
  it("created while the native rollout runs: lets it finish unheld, reports it plainly, then takes the new revision as stable", async () => {
    await withOwnController(async (ns) => {
      await grantRolloutOperator(ns, "alice");
      await slowDeployment(ns);
      // `kubectl set image … && kubectl apply -f rollout.yaml`: no Rollout exists when the update lands.
      await setTemplate(ns, "Deployment", NAME, "example/web:v2");
      await applyYaml([rolloutManifest(ns, NAME, { steps: STEPS })]);
      // The Rollout exists before the native rollout is over (new pods take 6 s to be ready).
      const s = (await getDeployment(ns, NAME)).status;
      expect(s?.updatedReplicas === N && s.availableReplicas === N && s.replicas === N).toBe(false);

      const { phases, messages } = await attachesWithoutHolding(ns, async () => {
        await nativeRolloutDone(ns);
        return templateRevision(ns);
      });
      expect(phases.has("Initializing")).toBe(true);
      expect([...messages].some((m) => m.includes("its native rollout is finishing"))).toBe(true);
      for (const phase of ["Progressing", "Paused", "Aborted"]) expect(phases.has(phase)).toBe(false);

      await nextReleaseIsHeld(ns, await templateRevision(ns));
    });
  }, 240_000);

  it("created after the native rollout finished: Healthy at once on the new revision, and the next change is held", async () => {
    await withOwnController(async (ns) => {
      await grantRolloutOperator(ns, "alice");
      await slowDeployment(ns);
      await setTemplate(ns, "Deployment", NAME, "example/web:v2");
      await nativeRolloutDone(ns);
      const v2 = await templateRevision(ns);
      await applyYaml([rolloutManifest(ns, NAME, { steps: STEPS })]);

      const { phases } = await attachesWithoutHolding(ns, () => Promise.resolve(v2));
      for (const phase of ["Progressing", "Paused", "Aborted"]) expect(phases.has(phase)).toBe(false);

      await nextReleaseIsHeld(ns, v2);
    });
  }, 240_000);
});
