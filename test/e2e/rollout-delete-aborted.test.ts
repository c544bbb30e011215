// Deleting or disabling a Rollout whose release was aborted undoes the release (the template goes back to the
// stable revision) instead of rolling the aborted template out natively (docs/decisions/delete-aborted-release.md).
// Real API server, real Deployment controller, the controller and webhook as a child process.
import { isDeepStrictEqual } from "node:util";
import { Watch, type V1ReplicaSet } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANNOTATION_ORIGINAL,
  ANNOTATION_RELEASE,
  LABEL_MANAGED_BY,
  LABEL_TEST_BEHAVIOR,
} from "../../src/api/names.ts";
import { BEHAVIOR_NEVER_READY, clients, done, notYet, waitFor } from "./lib/index.ts";
import {
  detachRollout,
  deleteWebhookConfigurations,
  getDeployment,
  installCrds,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { at, inScenario, NAME, PARTITION_DEPLOYMENT, podsSettled } from "./rollout/scenario.ts";

const N = PARTITION_DEPLOYMENT.replicas;

beforeAll(installCrds, 120_000);
afterAll(deleteWebhookConfigurations);

/** The largest spec.replicas and status.replicas each ReplicaSet of the namespace shows, from a watch. */
async function watchReplicaSets(namespace: string) {
  const largest = new Map<string, number>();
  let stopped = false;
  let abort: AbortController | undefined;
  const open = async (): Promise<void> => {
    abort = await new Watch(clients().kc).watch(
      `/apis/apps/v1/namespaces/${namespace}/replicasets`,
      {},
      (_type, rs: V1ReplicaSet) => {
        const hash = rs.metadata?.labels?.["pod-template-hash"] ?? "";
        const seen = Math.max(rs.spec?.replicas ?? 0, rs.status?.replicas ?? 0);
        largest.set(hash, Math.max(largest.get(hash) ?? 0, seen));
      },
      () => {
        // A watch that ends is re-opened; its first events re-list every ReplicaSet, so nothing is missed.
        if (!stopped) setTimeout(() => void open().catch(() => undefined), 100);
      },
    );
  };
  await open();
  return {
    largest,
    stop() {
      stopped = true;
      abort?.abort();
    },
  };
}

describe("detaching a Rollout whose release was aborted", () => {
  for (const how of ["deleting the Rollout", "disabled: true"] as const) {
    it(`${how} sets the never-ready template back to the stable one: unpaused, original strategy, no pod of the aborted revision`, async () => {
      await inScenario(
        "delete-aborted",
        PARTITION_DEPLOYMENT,
        { progressDeadlineSeconds: 8 },
        async ({ ns, monitor }) => {
          const before = await getDeployment(ns, NAME);
          const stableTemplate = before.spec?.template;
          const strategy = before.spec?.strategy;
          await setTemplate(ns, "Deployment", NAME, "example/web:v2", {
            [LABEL_TEST_BEHAVIOR]: BEHAVIOR_NEVER_READY,
          });
          const aborted = await waitForRollout(ns, NAME, "Aborted by the progress deadline", at.aborted);
          const bad = aborted.status?.canaryRevision ?? "";
          expect(bad).not.toBe("");
          await podsSettled(monitor, bad, 0, N);

          const replicaSets = await watchReplicaSets(ns);
          try {
            // The watch's first events show every ReplicaSet as it is: the aborted one at 0.
            await waitFor("the watch to list the aborted ReplicaSet", () =>
              replicaSets.largest.has(bad) ? done(undefined) : notYet([...replicaSets.largest]),
            );
            expect(replicaSets.largest.get(bad)).toBe(0);

            await detachRollout(ns, NAME, how);

            const d = await waitFor("the Deployment settled on the stable template", async () => {
              const now = await getDeployment(ns, NAME);
              const settled =
                now.status?.observedGeneration === now.metadata?.generation &&
                now.status?.updatedReplicas === N &&
                now.status?.availableReplicas === N &&
                (now.status?.replicas ?? 0) === N;
              return settled ? done(now) : notYet(now.status);
            });
            expect(d.spec?.paused ?? false).toBe(false);
            expect(d.spec?.strategy).toEqual(strategy);
            expect(isDeepStrictEqual(d.spec?.template, stableTemplate)).toBe(true);
            expect(d.metadata?.labels?.[LABEL_MANAGED_BY]).toBeUndefined();
            expect(d.metadata?.annotations?.[ANNOTATION_RELEASE]).toBeUndefined();
            expect(d.metadata?.annotations?.[ANNOTATION_ORIGINAL]).toBeUndefined();
            await podsSettled(monitor, bad, 0, N);
            // The aborted ReplicaSet never grew after the detach, and no pod of it ever ran again.
            expect(replicaSets.largest.get(bad)).toBe(0);
            expect(monitor.counts().get(bad)?.total ?? 0).toBe(0);
            expect(monitor.violations).toEqual([]);

            const events = await waitFor("the event saying the aborted release was undone", async () => {
              const list = await clients().core.listNamespacedEvent({ namespace: ns });
              const found = list.items.filter((e) => e.reason === "AbortedReleaseUndone");
              return found.length > 0 ? done(found) : notYet(list.items.map((e) => e.reason));
            });
            expect(events[0]?.message).toContain("set back to the stable revision");
          } finally {
            replicaSets.stop();
          }
        },
      );
    }, 180_000);
  }
});
