// Proves OpenKruise's real CloneSet controller (kruise-manager v1.8.x, built from the Go module proxy)
// runs against the local control plane: it creates the pods itself, kwok makes them Ready, and
// `updateStrategy.partition` holds pods at the old revision exactly as Slipway's CloneSet adapter relies on.
import { beforeAll, describe, expect, test } from "vitest";
import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import {
  applyYaml,
  clients,
  cloneSet,
  describeNamespace,
  done,
  ensureKruise,
  formatRevisions,
  isPodReady,
  notYet,
  podsByRevision,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import type { CloneSetOptions } from "./lib/index.ts";

// A cold build of kruise-manager (no cached binary, 2 shared cores) takes tens of minutes; CI builds it
// before the tests (npm run cluster:build-kruise), so there this hook takes seconds.
const KRUISE_SETUP_TIMEOUT_MS = 60 * 60_000;

interface CloneSetStatus {
  readonly observedGeneration?: number;
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly updatedReplicas?: number;
  readonly updatedReadyReplicas?: number;
  readonly currentRevision?: string;
  readonly updateRevision?: string;
}
type CloneSetView = KubernetesObject & { readonly status?: CloneSetStatus };

const { core, objects } = clients();

async function readCloneSet(namespace: string, name: string): Promise<CloneSetView> {
  return objects.read<CloneSetView>({
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "CloneSet",
    metadata: { name, namespace },
  });
}

/** Waits until the controller observed the latest spec and `settled(status)` holds. */
function waitForCloneSet(
  namespace: string,
  name: string,
  what: string,
  settled: (s: CloneSetStatus) => boolean,
): Promise<CloneSetView> {
  return waitFor(
    `CloneSet ${namespace}/${name}: ${what}`,
    async () => {
      const cs = await readCloneSet(namespace, name);
      const s = cs.status ?? {};
      return s.observedGeneration === cs.metadata?.generation && settled(s) ? done(cs) : notYet(s);
    },
    { timeoutMs: 60_000, describeState: () => describeNamespace(namespace) },
  );
}

async function podsOf(namespace: string, app: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  return list.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
}

/** Applies the CloneSet and waits until `updated` of its 3 pods run the new template, all Ready. */
async function rollTo(o: CloneSetOptions, updated: number): Promise<CloneSetStatus> {
  await applyYaml(cloneSet(o));
  const cs = await waitForCloneSet(
    o.namespace,
    o.name,
    `${updated} of ${o.replicas} updated, all Ready`,
    (s) =>
      s.replicas === o.replicas &&
      s.readyReplicas === o.replicas &&
      s.updatedReplicas === updated &&
      s.updatedReadyReplicas === updated,
  );
  return cs.status ?? {};
}

/** The hash part of a ControllerRevision name ("web-6d5f7c9b8" -> "6d5f7c9b8"), as in pod-template-hash. */
function shortHash(revision: string | undefined): string | undefined {
  return revision?.slice(revision.lastIndexOf("-") + 1);
}

describe("OpenKruise's CloneSet controller on the local control plane", () => {
  beforeAll(async () => {
    await ensureKruise();
  }, KRUISE_SETUP_TIMEOUT_MS);

  test("a CloneSet of 3 replicas gets 3 Ready pods, created by kruise", async () => {
    await withNamespace(
      async (namespace) => {
        const status = await rollTo({ name: "web", namespace, replicas: 3 }, 3);
        expect(status.currentRevision).toBe(status.updateRevision);

        const pods = await podsOf(namespace, "web");
        expect(pods).toHaveLength(3);
        for (const pod of pods) {
          expect(isPodReady(pod)).toBe(true);
          expect(pod.metadata?.ownerReferences).toEqual([
            expect.objectContaining({
              apiVersion: "apps.kruise.io/v1alpha1",
              kind: "CloneSet",
              name: "web",
              controller: true,
            }),
          ]);
          // kruise labels its pods with the revision name and, like a ReplicaSet, its hash alone.
          expect(pod.metadata?.labels?.["controller-revision-hash"]).toBe(status.updateRevision);
          expect(pod.metadata?.labels?.["pod-template-hash"]).toBe(shortHash(status.updateRevision));
        }
      },
      { prefix: "kruise-cloneset" },
    );
  });

  test("partition 2 of 3: a template change updates exactly 1 pod; lowering the partition updates more", async () => {
    await withNamespace(
      async (namespace) => {
        const base = { name: "web", namespace, replicas: 3 } as const;
        const v1 = await rollTo({ ...base, image: "registry.example/app:v1", partition: 0 }, 3);
        const stable = v1.updateRevision;

        const held = await rollTo({ ...base, image: "registry.example/app:v2", partition: 2 }, 1);
        expect(held.updateRevision).not.toBe(stable);
        expect(held.currentRevision).toBe(stable);
        // podsByRevision groups by pod-template-hash first: the short form of the revision name.
        const groups = await podsByRevision(namespace, "app=web");
        expect(
          groups.map((g) => [g.revision, g.total, g.ready]),
          formatRevisions(groups),
        ).toEqual([
          [shortHash(stable), 2, 2],
          [shortHash(held.updateRevision), 1, 1],
        ]);
        const images = (await podsOf(namespace, "web")).map((p) => p.spec?.containers[0]?.image).sort();
        expect(images).toEqual([
          "registry.example/app:v1",
          "registry.example/app:v1",
          "registry.example/app:v2",
        ]);

        await rollTo({ ...base, image: "registry.example/app:v2", partition: 1 }, 2);
        const all = await rollTo({ ...base, image: "registry.example/app:v2", partition: 0 }, 3);
        expect(all.currentRevision).toBe(held.updateRevision);
      },
      { prefix: "kruise-partition" },
    );
  });
});
