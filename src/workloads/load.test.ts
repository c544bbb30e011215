// The I/O shell of each adapter: what it reads, with which selectors, and that a missing workload is undefined.

import { describe, expect, it } from "vitest";
import { deploymentCanaryAdapter } from "./deployment-canary.ts";
import { deploymentPartitionAdapter } from "./deployment-partition.ts";
import type { ListQuery, WorkloadIO } from "./io.ts";
import { statefulSetAdapter } from "./statefulset.ts";
import { deployment, podsOf, replicaSet, statefulPods, statefulSet, T0 } from "./testing/fixtures.ts";
import type { KubeObject, ObjectRef } from "./types.ts";

function readOnlyIO(objects: KubeObject[]) {
  const lists: ListQuery[] = [];
  const io: WorkloadIO = {
    get: async (ref: ObjectRef) =>
      objects.find(
        (o) =>
          o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata?.namespace === ref.namespace,
      ),
    list: async (query) => {
      lists.push(query);
      return objects.filter((o) => o.kind === query.kind);
    },
    patch: async () => ({ ok: true }),
    create: async () => ({ ok: true }),
    delete: async () => ({ ok: true }),
  };
  return { io, lists };
}

const context = { now: new Date(T0) };
const ref = (kind: string, name: string): ObjectRef => ({
  apiVersion: "apps/v1",
  kind,
  namespace: "shop",
  name,
});

describe("adapters load what they plan from", () => {
  it("partition style reads the Deployment, then its ReplicaSets and pods by its selector", async () => {
    const d = deployment({ recreate: true, original: {}, stableRevision: "stable1" });
    const rs = replicaSet(d, "stable1", "web:v1", 10, 1);
    const { io, lists } = readOnlyIO([d, rs, ...podsOf(rs, 10, 10)]);
    const observed = await deploymentPartitionAdapter.load(io, ref("Deployment", "web"), context);
    expect(observed?.snapshot.stable).toEqual({ pods: 10, ready: 10, available: 10 });
    expect(lists.map((q) => [q.kind, q.namespace, q.labelSelector])).toEqual([
      ["ReplicaSet", "shop", "app=web"],
      ["Pod", "shop", "app=web"],
    ]);
  });

  it("canary style also reads <name>-canary", async () => {
    const d = deployment({ original: {}, stableRevision: "stable1" });
    const { io } = readOnlyIO([d, replicaSet(d, "stable1", "web:v1", 10, 1)]);
    const gets: string[] = [];
    const spying: WorkloadIO = { ...io, get: async (r) => (gets.push(r.name), io.get(r)) };
    const observed = await deploymentCanaryAdapter.load(spying, ref("Deployment", "web"), context);
    expect(gets).toEqual(["web", "web-canary"]);
    expect(observed?.snapshot.style).toBe("canary-deployment");
  });

  it("StatefulSet reads its pods by selector", async () => {
    const sts = statefulSet({ partition: 5, stableRevision: "db-stable1" });
    const pods = statefulPods([{ revision: "db-stable1", state: "ready" }]);
    const { io, lists } = readOnlyIO([sts, ...pods]);
    const observed = await statefulSetAdapter.load(io, ref("StatefulSet", "db"), context);
    expect(observed?.snapshot.stable.pods).toBe(1);
    expect(lists.map((q) => q.labelSelector)).toEqual(["app=db"]);
  });

  it("a missing workload is undefined, not an error", async () => {
    const { io } = readOnlyIO([]);
    expect(await deploymentPartitionAdapter.load(io, ref("Deployment", "web"), context)).toBeUndefined();
    expect(await deploymentCanaryAdapter.load(io, ref("Deployment", "web"), context)).toBeUndefined();
    expect(await statefulSetAdapter.load(io, ref("StatefulSet", "db"), context)).toBeUndefined();
  });
});
