import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../kube/client.ts";
import { FakeApiServer } from "../../kube/testing/fake-apiserver.ts";
import { revertToStableTemplate, type RevertTarget } from "./stable-template.ts";

const server = new FakeApiServer();
let client: KubeClient;
beforeAll(async () => {
  await server.start();
  client = new KubeClient(server.kubeConfig());
});
afterAll(() => server.stop());

const template = (image: string, labels: Record<string, string> = {}) => ({
  metadata: { labels: { app: "web", ...labels } },
  spec: { containers: [{ name: "app", image }] },
});
/** Owner references to a seeded object (the fake server assigns uids as a real one does). */
const owner = (seeded: { metadata?: unknown }) => [
  {
    apiVersion: "apps/v1",
    kind: "X",
    name: "web",
    uid: (seeded.metadata as { uid: string }).uid,
    controller: true,
  },
];

async function templateOf(path: string): Promise<unknown> {
  const obj = await client.request<{ spec?: { template?: unknown } }>({ method: "GET", path });
  return obj.spec?.template;
}

describe("revertToStableTemplate (kubectl slipway undo, and detaching an aborted release)", () => {
  it("Deployment: the stable ReplicaSet's template without pod-template-hash; then nothing to do", async () => {
    const path = "/apis/apps/v1/namespaces/shop/deployments/web";
    const workload = server.seed(path, {
      metadata: { name: "web" },
      spec: { paused: true, template: template("v2") },
    });
    server.seed("/apis/apps/v1/namespaces/shop/replicasets/web-aaa", {
      metadata: { name: "web-aaa", labels: { "pod-template-hash": "aaa" }, ownerReferences: owner(workload) },
      spec: { template: template("v1", { "pod-template-hash": "aaa" }) },
    });
    const target: RevertTarget = { kind: "Deployment", name: "web", namespace: "shop" };
    expect(await revertToStableTemplate(client, target, "aaa", "slipway")).toEqual({ kind: "reverted" });
    expect(await templateOf(path)).toEqual(template("v1"));
    expect(await revertToStableTemplate(client, target, "aaa", "slipway")).toEqual({ kind: "unchanged" });
    const gone = await revertToStableTemplate(client, target, "bbb", "slipway");
    expect(gone.kind === "problem" && gone.message).toContain("revisionHistoryLimit");
  });

  it("StatefulSet: the template of the ControllerRevision named by the stable revision", async () => {
    const path = "/apis/apps/v1/namespaces/shop/statefulsets/db";
    const workload = server.seed(path, { metadata: { name: "db" }, spec: { template: template("v2") } });
    server.seed("/apis/apps/v1/namespaces/shop/controllerrevisions/db-111", {
      metadata: { name: "db-111", ownerReferences: owner(workload) },
      data: { spec: { template: { ...template("v1"), $patch: "replace" } } },
    });
    const target: RevertTarget = { kind: "StatefulSet", name: "db", namespace: "shop" };
    expect(await revertToStableTemplate(client, target, "db-111", "slipway")).toEqual({ kind: "reverted" });
    expect(await templateOf(path)).toEqual(template("v1"));
  });

  it("CloneSet: the ControllerRevision <name>-<hash> when the stable revision is the hash", async () => {
    const path = "/apis/apps.kruise.io/v1alpha1/namespaces/shop/clonesets/cs";
    const workload = server.seed(path, { metadata: { name: "cs" }, spec: { template: template("v2") } });
    server.seed("/apis/apps/v1/namespaces/shop/controllerrevisions/cs-222", {
      metadata: { name: "cs-222", ownerReferences: owner(workload) },
      data: { spec: { template: template("v1") } },
    });
    const target: RevertTarget = { kind: "CloneSet", name: "cs", namespace: "shop" };
    expect(await revertToStableTemplate(client, target, "222", "slipway")).toEqual({ kind: "reverted" });
    expect(await templateOf(path)).toEqual(template("v1"));
    const other = await revertToStableTemplate(client, target, "333", "slipway");
    expect(other.kind).toBe("problem");
  });
});
