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
import type { JsonObject } from "../../src/traffic/types.ts";
import {
  clients,
  cloneSet,
  done,
  ensureKruise,
  isPodReady,
  notYet,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import { annotationsOf, applyJson, getJson, specOf } from "./lib/traffic.ts";
import { getCloneSet } from "./rollout/cloneset.ts";
import {
  annotate,
  deleteRollout,
  deleteWebhookConfigurations,
  getRollout,
  grantRolloutOperator,
  installCrds,
  rolloutManifest,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { withController } from "./rollout/controller-process.ts";
import { slipwayPlan } from "./rollout/plan.ts";
import {
  allOnNewRevision,
  at,
  CLONESET,
  inScenario,
  NAME,
  nativeStrategy,
  podsSettled,
  workloadReady,
  type ScenarioContext,
} from "./rollout/scenario.ts";

const N = CLONESET.replicas;
const STEPS = [{ replicas: 1 }, { replicas: "50%", pause: {} }, { replicas: "100%" }];
const V1 = "example/web:v1";
const V2 = "example/web:v2";

beforeAll(async () => {
  // kruise first: each test's controller checks at start whether the API server serves CloneSets.
  await ensureKruise();
  await installCrds();
}, 60 * 60_000); // a cold kruise-manager build takes tens of minutes; cached, this takes seconds

afterAll(deleteWebhookConfigurations);

const scenario = (body: (ctx: ScenarioContext) => Promise<void>) =>
  inScenario("cloneset", CLONESET, { kind: "CloneSet", steps: STEPS }, body);

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

describe("a CloneSet release with nginx traffic routing", () => {
  const svc = (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`;
  const ing = (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`;
  const hash = (revision: string | undefined) => revision?.slice(revision.lastIndexOf("-") + 1);

  it("the canary Service selects the CloneSet's canary revision and the stable Service its stable one; the finish removes both pins", async () => {
    await withNamespace(
      (ns) =>
        withController("cloneset-nginx", ns, async () => {
          const backend = { service: { name: NAME, port: { number: 80 } } };
          await applyJson(
            [
              cloneSet({ name: NAME, namespace: ns, replicas: N, image: V1 }) as unknown as JsonObject,
              {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: NAME, namespace: ns },
                spec: { selector: { app: NAME }, ports: [{ name: "http", port: 80 }] },
              },
              {
                apiVersion: "networking.k8s.io/v1",
                kind: "Ingress",
                metadata: { name: NAME, namespace: ns },
                spec: {
                  ingressClassName: "nginx",
                  rules: [
                    { host: "web.example", http: { paths: [{ path: "/", pathType: "Prefix", backend }] } },
                  ],
                },
              },
            ],
            ns,
          );
          await workloadReady(ns, CLONESET);
          await grantRolloutOperator(ns, "alice");
          const stable = hash((await getCloneSet(ns, NAME)).status?.updateRevision);
          const manifest = rolloutManifest(ns, NAME, {
            kind: "CloneSet",
            steps: [
              { replicas: 1, traffic: "5%" },
              { replicas: "50%", traffic: "50%", pause: {} },
              { replicas: "100%" },
            ],
          }) as unknown as { spec: { strategy: { canary: Record<string, unknown> } } };
          const trafficRouting = { service: NAME, gracePeriodSeconds: 1, nginx: { ingress: NAME } };
          const rollout = {
            ...manifest,
            spec: {
              ...manifest.spec,
              strategy: { canary: { ...manifest.spec.strategy.canary, trafficRouting } },
            },
          };
          await applyJson([rollout as unknown as JsonObject], ns);
          await until(ns, "attached and Healthy", at.healthy);

          await setTemplate(ns, "CloneSet", NAME, V2);
          const paused = await until(ns, "at the approval pause", at.approvalPause);
          const canary = paused.status?.canaryRevision ?? "";
          const cs = await getCloneSet(ns, NAME);
          expect(canary).toBe(hash(cs.status?.updateRevision));
          expect(specOf(await getJson(svc(ns, `${NAME}-canary`)))["selector"]).toEqual({
            app: NAME,
            "pod-template-hash": canary,
          });
          expect(specOf(await getJson(svc(ns, NAME)))["selector"]).toEqual({
            app: NAME,
            "pod-template-hash": stable,
          });
          expect(
            annotationsOf(await getJson(ing(ns, `${NAME}-canary`)))[
              "nginx.ingress.kubernetes.io/canary-weight"
            ],
          ).toBe("50");
          // What each Service selects: the canary one exactly kruise's 3 updated pods, the stable one the other 3.
          const selected = async (h: string | undefined) =>
            (
              await clients().core.listNamespacedPod({
                namespace: ns,
                labelSelector: `app=${NAME},pod-template-hash=${h}`,
              })
            ).items;
          const canaryPods = await selected(canary);
          expect(
            canaryPods.map((p) => [p.metadata?.labels?.["controller-revision-hash"], isPodReady(p)]),
          ).toEqual(Array.from({ length: 3 }, () => [cs.status?.updateRevision, true]));
          expect(canaryPods.every((p) => p.metadata?.ownerReferences?.[0]?.kind === "CloneSet")).toBe(true);
          expect((await selected(stable)).length).toBe(3);

          await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
          await until(ns, "Healthy after the release", at.healthy);
          expect(await getJson(svc(ns, `${NAME}-canary`))).toBeUndefined();
          expect(await getJson(ing(ns, `${NAME}-canary`))).toBeUndefined();
          expect(specOf(await getJson(svc(ns, NAME)))["selector"]).toEqual({ app: NAME });
          expect((await selected(canary)).length).toBe(N);
        }),
      { prefix: "cloneset-nginx" },
    );
  }, 180_000);
});
