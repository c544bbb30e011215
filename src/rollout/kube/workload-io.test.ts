import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../kube/client.ts";
import { FakeApiServer } from "../../kube/testing/fake-apiserver.ts";
import type { ObjectRef } from "../../workloads/types.ts";
import { CachedWorkloadIO, guardedPatch } from "./workload-io.ts";

const server = new FakeApiServer();
let io: CachedWorkloadIO;
beforeAll(async () => {
  await server.start();
  io = new CachedWorkloadIO(new KubeClient(server.kubeConfig()), new Map());
});
afterAll(() => server.stop());

const PATH = "/apis/apps/v1/namespaces/shop/replicasets/web-1";
const ref: ObjectRef = { apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "shop", name: "web-1" };

/** Seeds the ReplicaSet; returns the uid the server gave it. */
function seedReplicaSet(replicas: number): string {
  const stored = server.seed(PATH, {
    metadata: { name: "web-1", namespace: "shop" },
    spec: { replicas },
    status: { readyReplicas: 0 },
  });
  return (stored.metadata as { uid: string }).uid;
}

describe("guardedPatch", () => {
  it("tests the fields first, then sets (add) or removes (null) each leaf of the merge patch", () => {
    expect(
      guardedPatch(
        { spec: { replicas: 4 }, metadata: { annotations: { "a/b": null } } },
        { "/metadata/uid": "u", "/spec/replicas": 3 },
      ),
    ).toEqual([
      { op: "test", path: "/metadata/uid", value: "u" },
      { op: "test", path: "/spec/replicas", value: 3 },
      { op: "add", path: "/spec/replicas", value: 4 },
      { op: "remove", path: "/metadata/annotations/a~1b" },
    ]);
  });
});

describe("CachedWorkloadIO.patch with unchanged fields", () => {
  it("sends a JSON patch without resourceVersion, so a status update in between does not fail it", async () => {
    const uid = seedReplicaSet(3);
    // The ReplicaSet controller counts a ready pod after we read the object: a new resourceVersion.
    server.mutate(PATH, (rs) => ({ ...rs, status: { readyReplicas: 1 } }));
    const result = await io.patch(ref, { spec: { replicas: 4 } }, "stale-version", {
      "/metadata/uid": uid,
      "/spec/replicas": 3,
    });
    expect(result).toEqual({ ok: true });
    const sent = server.requests.at(-1);
    expect(sent?.contentType).toBe("application/json-patch+json");
    expect(JSON.stringify(sent?.body)).not.toContain("resourceVersion");
    expect((server.get(PATH)?.spec as { replicas: number }).replicas).toBe(4);
  });

  it("answers conflict when someone else scaled it or it is another incarnation", async () => {
    const uid = seedReplicaSet(5);
    const scaled = await io.patch(ref, { spec: { replicas: 4 } }, "", {
      "/metadata/uid": uid,
      "/spec/replicas": 3,
    });
    expect(scaled).toMatchObject({ ok: false, reason: "conflict" });
    const replaced = await io.patch(ref, { spec: { replicas: 4 } }, "", {
      "/metadata/uid": "uid-of-an-earlier-incarnation",
      "/spec/replicas": 5,
    });
    expect(replaced).toMatchObject({ ok: false, reason: "conflict" });
    expect((server.get(PATH)?.spec as { replicas: number }).replicas).toBe(5);
  });

  it("keeps the resourceVersion precondition for a write without unchanged fields", async () => {
    seedReplicaSet(3);
    const result = await io.patch(ref, { spec: { replicas: 4 } }, "stale-version");
    expect(result).toMatchObject({ ok: false, reason: "conflict" });
    expect(server.requests.at(-1)?.contentType).toBe("application/merge-patch+json");
  });
});
