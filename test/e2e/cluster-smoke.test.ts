// Proves the local control plane is a real Kubernetes: real controllers roll Deployments and
// StatefulSets, kwok drives pod readiness per the test-behavior label, RBAC applies to the test users,
// and the API server calls admission webhooks served on 127.0.0.1.
import { describe, expect, test } from "vitest";
import type { V1Deployment, V1ReplicaSet } from "@kubernetes/client-node";
import { LABEL_TEST_BEHAVIOR } from "../../src/api/names.ts";
import { pinnedKubernetesVersion } from "../cluster/config.ts";
import {
  BEHAVIOR_CRASH,
  BEHAVIOR_NEVER_READY,
  applyYaml,
  clients,
  currentCluster,
  describeNamespace,
  done,
  formatRevisions,
  notYet,
  podsByRevision,
  statusCode,
  strategicMergePatch,
  mergePatch,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import { deployment, headlessService, statefulSet } from "./lib/manifests.ts";
import { startMutatingWebhook } from "./smoke-webhook.ts";

const { apps, core } = clients();

async function setImage(namespace: string, name: string, image: string): Promise<void> {
  // What `kubectl set image deployment/<name> app=<image>` sends.
  await apps.patchNamespacedDeployment(
    { name, namespace, body: { spec: { template: { spec: { containers: [{ name: "app", image }] } } } } },
    strategicMergePatch,
  );
}

async function ownedReplicaSets(namespace: string, d: string): Promise<V1ReplicaSet[]> {
  const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: `app=${d}` });
  return list.items.filter((rs) =>
    rs.metadata?.ownerReferences?.some((o) => o.kind === "Deployment" && o.name === d),
  );
}

/** Waits until the Deployment's controller has observed its latest spec and finished rolling it out. */
function waitForRolledOut(namespace: string, name: string, replicas: number): Promise<V1Deployment> {
  return waitFor(
    `Deployment ${namespace}/${name} rolled out with ${replicas} ready replicas`,
    async () => {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      const s = d.status;
      const complete =
        s?.observedGeneration === d.metadata?.generation &&
        s?.updatedReplicas === replicas &&
        s?.readyReplicas === replicas &&
        s?.replicas === replicas;
      return complete ? done(d) : notYet(s);
    },
    { timeoutMs: 90_000, describeState: () => describeNamespace(namespace) },
  );
}

describe("the local control plane", () => {
  test("a Deployment of 4 replicas gets 4 Ready pods, and an image update rolls through a second ReplicaSet", async () => {
    await withNamespace(
      async (ns) => {
        await applyYaml(
          deployment({ name: "web", namespace: ns, replicas: 4, maxSurge: 1, maxUnavailable: 0 }),
        );
        await waitForRolledOut(ns, "web", 4);
        const before = await podsByRevision(ns, "app=web");
        expect(before).toHaveLength(1);
        expect(before[0]).toMatchObject({ total: 4, ready: 4 });

        await setImage(ns, "web", "registry.example/app:v2");
        // maxUnavailable=0 keeps old pods until new ones are Ready, so both revisions have pods at once.
        let mostRevisionsSeen = 0;
        await waitFor(
          "web rolled out to the v2 ReplicaSet",
          async () => {
            const groups = await podsByRevision(ns, "app=web");
            mostRevisionsSeen = Math.max(mostRevisionsSeen, groups.filter((g) => g.total > 0).length);
            const d = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
            const s = d.status;
            const finished =
              s?.observedGeneration === d.metadata?.generation &&
              s?.updatedReplicas === 4 &&
              s?.readyReplicas === 4 &&
              s?.replicas === 4;
            return finished ? done(undefined) : notYet(formatRevisions(groups));
          },
          { timeoutMs: 90_000, intervalMs: 100, describeState: () => describeNamespace(ns) },
        );
        expect(mostRevisionsSeen).toBe(2);

        const replicaSets = await ownedReplicaSets(ns, "web");
        expect(replicaSets).toHaveLength(2);
        const byImage = (image: string) =>
          replicaSets.find((rs) => rs.spec?.template?.spec?.containers[0]?.image === image);
        const oldRs = byImage("registry.example/app:v1");
        const newRs = byImage("registry.example/app:v2");
        expect(oldRs?.spec?.replicas).toBe(0);
        expect(newRs?.spec?.replicas).toBe(4);
        expect(newRs?.status?.readyReplicas).toBe(4);

        const after = await waitFor("old pods gone", async () => {
          const groups = await podsByRevision(ns, "app=web");
          return groups.length === 1 ? done(groups) : notYet(formatRevisions(groups));
        });
        expect(after[0]?.revision).toBe(newRs?.metadata?.labels?.["pod-template-hash"]);
        expect(after[0]).toMatchObject({ total: 4, ready: 4 });
      },
      { prefix: "smoke-rolling" },
    );
  });

  test("a paused Deployment does not roll when its template changes; unpausing rolls it", async () => {
    await withNamespace(
      async (ns) => {
        await applyYaml(deployment({ name: "app", namespace: ns, replicas: 2 }));
        await waitForRolledOut(ns, "app", 2);
        await apps.patchNamespacedDeployment(
          { name: "app", namespace: ns, body: { spec: { paused: true } } },
          mergePatch,
        );
        await setImage(ns, "app", "registry.example/app:v2");

        // The controller has seen the new template (observedGeneration) and reports itself paused.
        const paused = await waitFor(
          "paused Deployment observed",
          async () => {
            const d = await apps.readNamespacedDeployment({ name: "app", namespace: ns });
            const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
            return d.status?.observedGeneration === d.metadata?.generation &&
              progressing?.reason === "DeploymentPaused"
              ? done(d)
              : notYet(d.status);
          },
          { describeState: () => describeNamespace(ns) },
        );
        expect(paused.status?.updatedReplicas ?? 0).toBe(0);
        expect(await ownedReplicaSets(ns, "app")).toHaveLength(1);
        const held = await podsByRevision(ns, "app=app");
        expect(held).toHaveLength(1);
        expect(held[0]).toMatchObject({ total: 2, ready: 2 });

        await apps.patchNamespacedDeployment(
          { name: "app", namespace: ns, body: { spec: { paused: false } } },
          mergePatch,
        );
        await waitForRolledOut(ns, "app", 2);
        const replicaSets = await ownedReplicaSets(ns, "app");
        expect(replicaSets).toHaveLength(2);
        const current = replicaSets.find(
          (rs) => rs.spec?.template?.spec?.containers[0]?.image === "registry.example/app:v2",
        );
        expect(current?.status?.readyReplicas).toBe(2);
      },
      { prefix: "smoke-paused" },
    );
  });

  test("a StatefulSet with partition 2 of 4 replicas updates only ordinals 2 and 3", async () => {
    await withNamespace(
      async (ns) => {
        await applyYaml([
          headlessService("db", ns),
          statefulSet({ name: "db", namespace: ns, replicas: 4, partition: 2 }),
        ]);
        const describeState = () => describeNamespace(ns);
        await waitFor(
          "db has 4 ready replicas",
          async () => {
            const s = (await apps.readNamespacedStatefulSet({ name: "db", namespace: ns })).status;
            return s?.readyReplicas === 4 ? done(undefined) : notYet(s);
          },
          { describeState },
        );
        await apps.patchNamespacedStatefulSet(
          {
            name: "db",
            namespace: ns,
            body: {
              spec: {
                template: { spec: { containers: [{ name: "app", image: "registry.example/app:v2" }] } },
              },
            },
          },
          strategicMergePatch,
        );
        const sts = await waitFor(
          "ordinals 2 and 3 updated and ready",
          async () => {
            const set = await apps.readNamespacedStatefulSet({ name: "db", namespace: ns });
            const s = set.status;
            const settled =
              s?.observedGeneration === set.metadata?.generation &&
              s?.updatedReplicas === 2 &&
              s?.readyReplicas === 4;
            return settled ? done(set) : notYet(s);
          },
          { timeoutMs: 90_000, describeState },
        );
        const { currentRevision, updateRevision } = sts.status ?? {};
        expect(updateRevision).toBeDefined();
        expect(updateRevision).not.toBe(currentRevision);

        const groups = await podsByRevision(ns, "app=db");
        const ordinalsOf = (rev: string | undefined) =>
          groups
            .find((g) => g.revision === rev)
            ?.pods.map((p) => p.ordinal)
            .sort();
        expect(ordinalsOf(updateRevision)).toEqual([2, 3]);
        expect(ordinalsOf(currentRevision)).toEqual([0, 1]);
        expect(groups.every((g) => g.ready === g.total)).toBe(true);
        const images = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=db" })).items.map(
          (p) => [p.metadata?.name, p.spec?.containers[0]?.image],
        );
        expect(Object.fromEntries(images)).toEqual({
          "db-0": "registry.example/app:v1",
          "db-1": "registry.example/app:v1",
          "db-2": "registry.example/app:v2",
          "db-3": "registry.example/app:v2",
        });
      },
      { prefix: "smoke-partition" },
    );
  });

  test("a never-ready pod stays Running but NotReady, and the Deployment's readyReplicas reflects it", async () => {
    await withNamespace(
      async (ns) => {
        const api = {
          name: "api",
          namespace: ns,
          replicas: 3,
          maxSurge: 1,
          maxUnavailable: 0,
          progressDeadlineSeconds: 5,
        };
        await applyYaml(deployment(api));
        await waitForRolledOut(ns, "api", 3);
        // A "bad release": same Deployment, new template whose pods never become Ready.
        await applyYaml(
          deployment({
            ...api,
            image: "registry.example/app:v2",
            podLabels: { [LABEL_TEST_BEHAVIOR]: BEHAVIOR_NEVER_READY },
          }),
        );
        // ProgressDeadlineExceeded is only reported after 5s without progress: the new pod stayed NotReady that long.
        const stuck = await waitFor(
          "api rollout reports ProgressDeadlineExceeded",
          async () => {
            const d = await apps.readNamespacedDeployment({ name: "api", namespace: ns });
            const progressing = d.status?.conditions?.find((c) => c.type === "Progressing");
            return progressing?.reason === "ProgressDeadlineExceeded" ? done(d) : notYet(d.status);
          },
          { timeoutMs: 60_000, describeState: () => describeNamespace(ns) },
        );
        expect(stuck.status).toMatchObject({
          replicas: 4,
          updatedReplicas: 1,
          readyReplicas: 3,
          unavailableReplicas: 1,
        });

        const badPods = (
          await core.listNamespacedPod({
            namespace: ns,
            labelSelector: `${LABEL_TEST_BEHAVIOR}=${BEHAVIOR_NEVER_READY}`,
          })
        ).items;
        expect(badPods).toHaveLength(1);
        const bad = badPods[0];
        expect(bad?.status?.phase).toBe("Running");
        expect(bad?.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
        expect(bad?.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
      },
      { prefix: "smoke-never-ready" },
    );
  });

  test("a crash pod keeps restarting and is never Ready", async () => {
    await withNamespace(
      async (ns) => {
        await applyYaml(
          deployment({
            name: "crashy",
            namespace: ns,
            replicas: 1,
            podLabels: { [LABEL_TEST_BEHAVIOR]: BEHAVIOR_CRASH },
          }),
        );
        const pod = await waitFor(
          "crashy pod restarted at least twice",
          async () => {
            const [p] = (await core.listNamespacedPod({ namespace: ns, labelSelector: "app=crashy" })).items;
            const restarts = p?.status?.containerStatuses?.[0]?.restartCount ?? 0;
            return restarts >= 2 ? done(p) : notYet(p?.status);
          },
          { timeoutMs: 60_000, describeState: () => describeNamespace(ns) },
        );
        expect(pod?.status?.phase).toBe("Running");
        expect(pod?.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
        expect(pod?.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
        const d = await apps.readNamespacedDeployment({ name: "crashy", namespace: ns });
        expect(d.status?.readyReplicas ?? 0).toBe(0);
      },
      { prefix: "smoke-crash" },
    );
  });

  test("the API server calls a mutating webhook served on https://127.0.0.1 by the test", async () => {
    await withNamespace(
      async (ns) => {
        const webhook = await startMutatingWebhook(ns);
        try {
          // The API server picks up a new webhook configuration a moment later: create probes until one is mutated.
          let n = 0;
          const probe = await waitFor(
            "a ConfigMap created in the namespace is mutated by the webhook",
            async () => {
              const cm = await core.createNamespacedConfigMap({
                namespace: ns,
                body: { metadata: { name: `probe-${n++}` }, data: { k: "v" } },
              });
              return cm.metadata?.labels?.[webhook.label] === "true" ? done(cm) : notYet(cm.metadata);
            },
            { timeoutMs: 30_000, intervalMs: 200 },
          );
          const stored = await core.readNamespacedConfigMap({
            name: probe.metadata?.name ?? "",
            namespace: ns,
          });
          expect(stored.metadata?.labels?.[webhook.label]).toBe("true");
          expect(webhook.requests.some((r) => r.namespace === ns && r.name === probe.metadata?.name)).toBe(
            true,
          );
          expect(webhook.requests.every((r) => r.kind === "ConfigMap" && r.operation === "CREATE")).toBe(
            true,
          );
        } finally {
          await webhook.stop();
        }
      },
      { prefix: "smoke-webhook" },
    );
  });

  test("RBAC applies to the non-admin test users alice and bob", async () => {
    await withNamespace(
      async (ns) => {
        const alice = clients("alice").core;
        const bob = clients("bob").core;
        const forbidden = async (p: Promise<unknown>) =>
          statusCode(
            await p.then(
              () => undefined,
              (e: unknown) => e,
            ),
          );
        expect(await forbidden(alice.listNamespacedPod({ namespace: ns }))).toBe(403);
        await applyYaml(
          `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]`,
          { namespace: ns },
        );
        await waitFor("alice can list pods", async () => {
          const list = await alice.listNamespacedPod({ namespace: ns });
          return done(list.items.length);
        });
        expect(await forbidden(bob.listNamespacedPod({ namespace: ns }))).toBe(403);
      },
      { prefix: "smoke-rbac" },
    );
  });

  test("/version reports the Kubernetes version the control plane was built from", async () => {
    const info = await clients().version.getCode();
    if (currentCluster().local) {
      expect(pinnedKubernetesVersion()).toBe("v1.36.3");
      expect(info.gitVersion).toBe("v1.36.3");
    } else {
      expect(info.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    }
    expect(info.major).toBe("1");
  });
});
