// Pods and traffic in lock-step through real releases: the controller and webhook run as a child process,
// a Deployment sits behind a Service and an nginx Ingress (no ingress controller runs: the assertions are on
// the objects and on the order in which the API server recorded the writes).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_ABORT, ANNOTATION_APPROVE } from "../../src/api/names.ts";
import type { JsonObject } from "../../src/traffic/types.ts";
import { clients, done, notYet, waitFor, withNamespace } from "./lib/index.ts";
import { deployment } from "./lib/manifests.ts";
import { annotationsOf, applyJson, getJson, installIstioCrds, specOf, userView } from "./lib/traffic.ts";
import { startController, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  getRollout,
  installCrds,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { TrafficTimeline, type Entry } from "./traffic/timeline.ts";

const NAME = "web";
const REPLICAS = 4;
const svcPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`;
const ingPath = (ns: string, name: string) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`;
const W = "nginx.ingress.kubernetes.io/canary-weight";

let controller: SlipwayProcess;

beforeAll(async () => {
  await installCrds();
  await installIstioCrds();
  controller = await startController("traffic-tests");
}, 120_000);

afterAll(async () => {
  await controller?.kill("SIGTERM");
  await deleteWebhookConfigurations();
});

function ingressManifest(ns: string): JsonObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: NAME, namespace: ns },
    spec: {
      ingressClassName: "nginx",
      rules: [
        {
          host: "web.example",
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: { service: { name: NAME, port: { number: 80 } } } },
            ],
          },
        },
      ],
    },
  };
}

interface Setup {
  readonly ingress?: boolean;
  readonly grace?: number;
  readonly steps: readonly JsonObject[];
  /** Default: nginx with the Ingress `web`. */
  readonly router?: JsonObject;
  /** More objects to create with the workload (a VirtualService). */
  readonly extra?: readonly JsonObject[];
  readonly deploymentStyle?: "partition" | "canary-deployment";
}

/** Deployment (4 pods) + Service (+ Ingress) + Rollout with traffic routing; returns the stable revision. */
async function attach(ns: string, o: Setup): Promise<string> {
  const objects: JsonObject[] = [
    deployment({
      name: NAME,
      namespace: ns,
      replicas: REPLICAS,
      image: "example/web:v1",
    }) as unknown as JsonObject,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: NAME, namespace: ns },
      spec: { selector: { app: NAME }, ports: [{ name: "http", port: 80 }] },
    },
  ];
  if (o.ingress !== false) objects.push(ingressManifest(ns));
  await applyJson([...objects, ...(o.extra ?? [])], ns);
  const stable = await waitFor(`Deployment ${ns}/${NAME} ready`, async () => {
    const pods = await clients().core.listNamespacedPod({ namespace: ns, labelSelector: `app=${NAME}` });
    const ready = pods.items.filter((p) =>
      p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    const hashes = new Set(ready.map((p) => p.metadata?.labels?.["pod-template-hash"]));
    const [hash] = [...hashes];
    return ready.length === REPLICAS && hashes.size === 1 && hash !== undefined
      ? done(hash)
      : notYet(ready.length);
  });
  await applyJson(
    [
      {
        apiVersion: "rollouts.slipway.dev/v1alpha1",
        kind: "Rollout",
        metadata: { name: NAME, namespace: ns },
        spec: {
          workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: NAME },
          strategy: {
            canary: {
              progressDeadlineSeconds: 120,
              ...(o.deploymentStyle === undefined ? {} : { deploymentStyle: o.deploymentStyle }),
              steps: o.steps,
              trafficRouting: {
                service: NAME,
                gracePeriodSeconds: o.grace ?? 1,
                ...(o.router ?? { nginx: { ingress: NAME } }),
              },
            },
          },
        },
      },
    ],
    ns,
  );
  await waitForRollout(ns, NAME, "attached and Healthy", (s) => s.phase === "Healthy");
  return stable;
}

const STEPS: readonly JsonObject[] = [
  { replicas: 1, traffic: "5%" },
  { replicas: "50%", traffic: "50%", pause: {} },
  { replicas: "100%" },
];

/** The stable Service was pinned to `stable` whenever a pod of another revision existed, up to `untilRv`. */
function stableNeverSelectsCanary(timeline: TrafficTimeline, stable: string, untilRv: number): string[] {
  const problems: string[] = [];
  let pinned: string | undefined;
  const canaryPods = new Set<string>();
  for (const e of timeline.entries()) {
    if (e.rv >= untilRv) break;
    if (e.kind === "service" && e.name === NAME) pinned = e.pinned;
    if (e.kind === "pod" && e.hash !== stable) {
      if (e.deleted) canaryPods.delete(e.name);
      else canaryPods.add(e.name);
    }
    if (canaryPods.size > 0 && pinned !== stable) {
      problems.push(
        `at rv ${e.rv} canary pods ${[...canaryPods].join(",")} exist while ${NAME} selects ${pinned ?? "every revision"}`,
      );
    }
  }
  return problems;
}

const isWeight = (w: string) => (e: Entry) =>
  e.kind === "ingress" && e.name === `${NAME}-canary` && !e.deleted && e.weight === w;

function fail(err: unknown, timeline: TrafficTimeline): never {
  throw new Error(
    `${(err as Error).message}\n--- timeline ---\n${timeline.describe()}\n${tail(controller)}`,
    { cause: err },
  );
}

describe("traffic in lock-step with the batches", () => {
  it("steps 1 traffic 5% / 50% traffic 50% pause{} / 100%: traffic follows ready pods, the stable Service never selects a canary pod, and the release leaves no canary object and the stable Ingress unchanged", async () => {
    await withNamespace(
      async (ns) => {
        const stable = await attach(ns, { steps: STEPS });
        const timeline = new TrafficTimeline(ns);
        await timeline.start();
        try {
          const ingressBefore = await getJson(ingPath(ns, NAME));
          const serviceBefore = await getJson(svcPath(ns, NAME));
          await setTemplate(ns, "Deployment", NAME, "example/web:v2");
          const paused = await waitForRollout(
            ns,
            NAME,
            "approval pause at step 2",
            (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
          );
          const canary = paused.status?.canaryRevision ?? "";
          // At the pause: 2 canary pods, weight 50, both Services pointing at their revision.
          expect(annotationsOf(await getJson(ingPath(ns, `${NAME}-canary`)))[W]).toBe("50");
          expect(specOf(await getJson(svcPath(ns, NAME)))["selector"]).toEqual({
            app: NAME,
            "pod-template-hash": stable,
          });
          expect(specOf(await getJson(svcPath(ns, `${NAME}-canary`)))["selector"]).toEqual({
            app: NAME,
            "pod-template-hash": canary,
          });
          const ready = timeline.readyPodsAt(Number.MAX_SAFE_INTEGER);
          expect([ready.get(canary), ready.get(stable)]).toEqual([2, 2]);

          await annotate(ns, NAME, ANNOTATION_APPROVE, "2");
          const healthy = await waitForRollout(
            ns,
            NAME,
            "Healthy after the release",
            (s) => s.phase === "Healthy",
          );
          expect(healthy.status?.history?.at(-1)?.outcome).toBe("Succeeded");
          const entries = timeline.entries();

          // Pinned before the first canary pod existed, and never selecting one until the pin is released
          // before step 3 moves every pod.
          const pin = timeline.first((e) => e.kind === "service" && e.name === NAME && e.pinned === stable);
          const firstCanaryPod = timeline.first((e) => e.kind === "pod" && e.hash === canary);
          expect(pin?.rv).toBeLessThan(firstCanaryPod?.rv ?? 0);
          const unpin = entries.find(
            (e) => e.kind === "service" && e.name === NAME && e.pinned === undefined && e.rv > (pin?.rv ?? 0),
          );
          expect(stableNeverSelectsCanary(timeline, stable, unpin?.rv ?? Infinity)).toEqual([]);
          const lastBatch = timeline.first(
            (e) => e.kind === "replicaset" && e.hash === canary && e.replicas === REPLICAS,
          );
          expect(unpin?.rv).toBeLessThan(lastBatch?.rv ?? 0);

          // Traffic only after the step's pods are ready: 5% with ≥1, 50% with ≥2, 100% with all 4 canary pods.
          for (const [weight, pods] of [
            ["5", 1],
            ["50", 2],
            ["100", REPLICAS],
          ] as const) {
            const write = timeline.first(isWeight(weight));
            expect(write, `canary weight ${weight} written`).toBeDefined();
            expect(
              timeline.readyPodsAt(write?.rv ?? 0).get(canary) ?? 0,
              `ready canary pods when weight ${weight} was set`,
            ).toBeGreaterThanOrEqual(pods);
          }

          // Finish: canary routes removed before the canary Service, and nothing of the release is left.
          const ingressGone = timeline.first(
            (e) => e.kind === "ingress" && e.name === `${NAME}-canary` && e.deleted,
          );
          const serviceGone = timeline.first(
            (e) => e.kind === "service" && e.name === `${NAME}-canary` && e.deleted,
          );
          expect(ingressGone?.rv).toBeLessThan(serviceGone?.rv ?? 0);
          expect(await getJson(ingPath(ns, `${NAME}-canary`))).toBeUndefined();
          expect(await getJson(svcPath(ns, `${NAME}-canary`))).toBeUndefined();
          expect(JSON.stringify(await getJson(ingPath(ns, NAME)))).toBe(JSON.stringify(ingressBefore));
          expect(userView(await getJson(svcPath(ns, NAME)))).toBe(userView(serviceBefore));
        } catch (err) {
          fail(err, timeline);
        } finally {
          timeline.stop();
        }
      },
      { prefix: "traffic-release" },
    );
  }, 180_000);

  it("abort at 50% traffic sends traffic back to 0 before any canary pod is removed; undo then removes every canary object", async () => {
    await withNamespace(
      async (ns) => {
        const stable = await attach(ns, { steps: STEPS });
        const timeline = new TrafficTimeline(ns);
        await timeline.start();
        try {
          const serviceBefore = await getJson(svcPath(ns, NAME));
          await setTemplate(ns, "Deployment", NAME, "example/web:v2");
          const paused = await waitForRollout(
            ns,
            NAME,
            "approval pause at step 2",
            (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
          );
          const canary = paused.status?.canaryRevision ?? "";
          await annotate(ns, NAME, ANNOTATION_ABORT, "true");
          await waitForRollout(ns, NAME, "Aborted", (s) => s.phase === "Aborted");
          await waitFor("canary pods gone", () => {
            const ready = timeline.readyPodsAt(Number.MAX_SAFE_INTEGER);
            return (ready.get(canary) ?? 0) === 0 && ready.get(stable) === REPLICAS
              ? done(undefined)
              : notYet(Object.fromEntries(ready));
          });
          const fifty = timeline.first(isWeight("50"));
          const zero = timeline.entries().find((e) => isWeight("0")(e) && e.rv > (fifty?.rv ?? 0));
          const firstScaleDown = timeline
            .entries()
            .find(
              (e) =>
                e.kind === "replicaset" && e.hash === canary && e.replicas < 2 && e.rv > (fifty?.rv ?? 0),
            );
          const firstPodGone = timeline
            .entries()
            .find((e) => e.kind === "pod" && e.hash === canary && e.deleted);
          expect(zero, "weight back to 0").toBeDefined();
          expect(zero?.rv).toBeLessThan(firstScaleDown?.rv ?? 0);
          expect(zero?.rv).toBeLessThan(firstPodGone?.rv ?? 0);
          // The pin stays while canary pods go away.
          expect(stableNeverSelectsCanary(timeline, stable, Number.MAX_SAFE_INTEGER)).toEqual([]);

          await setTemplate(ns, "Deployment", NAME, "example/web:v1");
          const healthy = await waitForRollout(
            ns,
            NAME,
            "Healthy after the undo",
            (s) => s.phase === "Healthy" && s.history?.at(-1)?.outcome === "RolledBack",
          );
          expect(healthy.status?.phase).toBe("Healthy");
          await waitFor("canary objects removed", async () => {
            const left = [
              await getJson(ingPath(ns, `${NAME}-canary`)),
              await getJson(svcPath(ns, `${NAME}-canary`)),
            ].filter((o) => o !== undefined);
            return left.length === 0
              ? done(undefined)
              : notYet(left.map((o) => (o["metadata"] as JsonObject)["name"]));
          });
          expect(userView(await getJson(svcPath(ns, NAME)))).toBe(userView(serviceBefore));
        } catch (err) {
          fail(err, timeline);
        } finally {
          timeline.stop();
        }
      },
      { prefix: "traffic-abort" },
    );
  }, 180_000);

  it("kill -9 of the controller between a traffic write and the end of its grace period: the grace period is still served and no canary object is duplicated", async () => {
    await withNamespace(
      async (ns) => {
        const GRACE = 8;
        await attach(ns, { steps: STEPS.slice(0, 2), grace: GRACE });
        const timeline = new TrafficTimeline(ns);
        await timeline.start();
        try {
          await setTemplate(ns, "Deployment", NAME, "example/web:v2");
          await waitFor(
            "canary weight 5 written",
            () => (timeline.first(isWeight("5")) ? done(undefined) : notYet("")),
            { intervalMs: 50 },
          );
          await controller.kill("SIGKILL");
          const write = timeline.first(isWeight("5"));
          const run = ((await getRollout(ns, NAME))?.status?.workflow as JsonObject | undefined)?.["run"] as
            JsonObject | undefined;
          const step = (run?.["steps"] as Record<string, JsonObject> | undefined)?.["step-1.traffic"];
          expect(step?.["phase"], "killed inside step 1's grace period").toBe("Running");
          controller = await startController("traffic-tests-restarted");

          const paused = await waitForRollout(
            ns,
            NAME,
            "approval pause at step 2",
            (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
          );
          const canary = paused.status?.canaryRevision ?? "";
          const nextBatch = timeline.first(
            (e) => e.kind === "replicaset" && e.hash === canary && e.replicas === 2,
          );
          expect(
            (nextBatch?.at ?? 0) - (write?.at ?? 0),
            "ms from the weight-5 write to step 2's pods",
          ).toBeGreaterThanOrEqual(GRACE * 1000 - 1000);
          const ingresses = (await clients().objects.list("networking.k8s.io/v1", "Ingress", ns)).items
            .map((i) => i.metadata?.name)
            .sort();
          const services = (await clients().core.listNamespacedService({ namespace: ns })).items
            .map((s) => s.metadata?.name)
            .sort();
          expect(ingresses).toEqual([NAME, `${NAME}-canary`]);
          expect(services).toEqual([NAME, `${NAME}-canary`]);
          // Every write of the canary Ingress, in order: created at 0 by the pin, 5, then 50 — none redone.
          const weights = timeline
            .entries()
            .flatMap((e) => (e.kind === "ingress" && e.name === `${NAME}-canary` ? [e.weight] : []));
          expect(weights).toEqual(["0", "5", "50"]);
          expect(annotationsOf(await getJson(ingPath(ns, `${NAME}-canary`)))[W]).toBe("50");
        } catch (err) {
          fail(err, timeline);
        } finally {
          timeline.stop();
        }
      },
      { prefix: "traffic-kill" },
    );
  }, 180_000);

  it("a missing Ingress is reported in status and no pod moves until it exists", async () => {
    await withNamespace(
      async (ns) => {
        const stable = await attach(ns, { ingress: false, steps: STEPS });
        const serviceBefore = await getJson(svcPath(ns, NAME));
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const blocked = await waitForRollout(ns, NAME, "reports the missing Ingress", (s) =>
          (s.message ?? "").includes(`Ingress ${ns}/${NAME} (trafficRouting.nginx.ingress) not found`),
        );
        expect(blocked.status?.currentStepIndex).toBe(1);
        const pods = await clients().core.listNamespacedPod({ namespace: ns, labelSelector: `app=${NAME}` });
        expect(pods.items.map((p) => p.metadata?.labels?.["pod-template-hash"])).toEqual(
          Array(REPLICAS).fill(stable),
        );
        expect(JSON.stringify(await getJson(svcPath(ns, NAME)))).toBe(JSON.stringify(serviceBefore));
        expect(blocked.status?.currentStepState).toBe("ShiftingTraffic");

        // Once the Ingress exists the release goes on by itself (the blocked step is polled).
        await applyJson([ingressManifest(ns)], ns);
        await waitForRollout(
          ns,
          NAME,
          "on to step 2 once the Ingress exists",
          (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        expect(annotationsOf(await getJson(ingPath(ns, `${NAME}-canary`)))[W]).toBe("50");
      },
      { prefix: "traffic-missing" },
    );
  }, 180_000);

  it("canary-deployment style: the canary revision becomes known only after step 1's Deployment exists; the pin comes first, traffic follows, nothing is left afterwards", async () => {
    await withNamespace(
      async (ns) => {
        const stable = await attach(ns, { steps: STEPS, deploymentStyle: "canary-deployment" });
        const timeline = new TrafficTimeline(ns);
        await timeline.start();
        try {
          const ingressBefore = await getJson(ingPath(ns, NAME));
          await setTemplate(ns, "Deployment", NAME, "example/web:v2");
          const paused = await waitForRollout(
            ns,
            NAME,
            "approval pause at step 2",
            (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
          );
          const canary = paused.status?.canaryRevision ?? "";
          expect(specOf(await getJson(svcPath(ns, `${NAME}-canary`)))["selector"]).toEqual({
            app: NAME,
            "pod-template-hash": canary,
          });
          expect(annotationsOf(await getJson(ingPath(ns, `${NAME}-canary`)))[W]).toBe("50");
          // The original stays at full size on stable; the canary Deployment runs the batch.
          const ready = timeline.readyPodsAt(Number.MAX_SAFE_INTEGER);
          expect([ready.get(canary), ready.get(stable)]).toEqual([2, REPLICAS]);
          const pin = timeline.first((e) => e.kind === "service" && e.name === NAME && e.pinned === stable);
          expect(pin?.rv).toBeLessThan(timeline.first((e) => e.kind === "pod" && e.hash === canary)?.rv ?? 0);
          expect(
            timeline.readyPodsAt(timeline.first(isWeight("5"))?.rv ?? 0).get(canary) ?? 0,
          ).toBeGreaterThanOrEqual(1);

          await annotate(ns, NAME, ANNOTATION_APPROVE, "2");
          await waitForRollout(
            ns,
            NAME,
            "Healthy after the release",
            (s) => s.phase === "Healthy" && s.history?.at(-1)?.outcome === "Succeeded",
          );
          expect(await getJson(ingPath(ns, `${NAME}-canary`))).toBeUndefined();
          expect(await getJson(svcPath(ns, `${NAME}-canary`))).toBeUndefined();
          expect(specOf(await getJson(svcPath(ns, NAME)))["selector"]).toEqual({ app: NAME });
          expect(JSON.stringify(await getJson(ingPath(ns, NAME)))).toBe(JSON.stringify(ingressBefore));
        } catch (err) {
          fail(err, timeline);
        } finally {
          timeline.stop();
        }
      },
      { prefix: "traffic-canary-deployment" },
    );
  }, 180_000);

  it("Istio: a release with a header match and two named routes shifts only the listed one, and leaves the VirtualService exactly as it was", async () => {
    await withNamespace(
      async (ns) => {
        const vs: JsonObject = {
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: NAME, namespace: ns },
          spec: {
            hosts: ["web.example"],
            http: [
              {
                name: "api",
                match: [{ uri: { prefix: "/api" } }],
                route: [{ destination: { host: "web" } }],
              },
              { name: "primary", route: [{ destination: { host: "web" } }] },
            ],
          },
        };
        const steps: JsonObject[] = [
          { replicas: 1, traffic: "5%", matches: [{ headers: [{ name: "x-canary", value: "true" }] }] },
          { replicas: "50%", traffic: "50%", pause: {} },
          { replicas: "100%" },
        ];
        const vsPath = `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices/${NAME}`;
        await attach(ns, {
          steps,
          ingress: false,
          grace: 2,
          extra: [vs],
          router: { istio: { virtualService: { name: NAME, routes: ["primary"] } } },
        });
        const before = await getJson(vsPath);
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const http = async () => (specOf(await getJson(vsPath))["http"] ?? []) as JsonObject[];
        const matched = await waitFor(
          "step 1: a canary-only route before primary",
          async () => {
            const routes = await http();
            return routes.map((r) => r["name"]).join(",") === "api,slipway-canary-primary,primary"
              ? done(routes)
              : notYet(routes);
          },
          { intervalMs: 100 },
        );
        expect(matched[1]?.["match"]).toEqual([{ headers: { "x-canary": { exact: "true" } } }]);
        await waitForRollout(
          ns,
          NAME,
          "approval pause at step 2",
          (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        const atPause = await http();
        expect(atPause.map((r) => r["name"])).toEqual(["api", "primary"]);
        expect(JSON.stringify(atPause[0])).toBe(JSON.stringify((specOf(before)["http"] as JsonObject[])[0]));
        expect(atPause[1]?.["route"]).toEqual([
          { destination: { host: "web" }, weight: 50 },
          { destination: { host: "web-canary" }, weight: 50 },
        ]);
        await annotate(ns, NAME, ANNOTATION_APPROVE, "2");
        await waitForRollout(
          ns,
          NAME,
          "Healthy after the release",
          (s) => s.phase === "Healthy" && s.history?.at(-1)?.outcome === "Succeeded",
        );
        expect(
          userView({
            ...(await getJson(vsPath)),
            metadata: { ...((await getJson(vsPath))?.["metadata"] as JsonObject), generation: 0 },
          }),
        ).toBe(userView({ ...before, metadata: { ...(before?.["metadata"] as JsonObject), generation: 0 } }));
        expect(await getJson(svcPath(ns, `${NAME}-canary`))).toBeUndefined();
      },
      { prefix: "traffic-istio-release" },
    );
  }, 180_000);
});
