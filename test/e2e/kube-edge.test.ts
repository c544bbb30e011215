// The edge to the API server against a real kube-apiserver: informers, leader election on a real
// Lease, Events, and the patch helpers' error contract.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeClient } from "../../src/kube/client.ts";
import type { KubeClient } from "../../src/kube/client.ts";
import { ApiError, ConflictError } from "../../src/kube/errors.ts";
import { EventRecorder } from "../../src/kube/events.ts";
import { Informer } from "../../src/kube/informer.ts";
import { LeaderElector } from "../../src/kube/leader-election.ts";
import type { Lease } from "../../src/kube/leader-election.ts";
import type { InformerMetrics, WatchRestartReason } from "../../src/kube/metrics.ts";
import { jsonPatch, mergePatch, strategicMergePatch } from "../../src/kube/patch.ts";
import { CONFIGMAPS, LEASES, NAMESPACES, collectionPath, objectPath } from "../../src/kube/resources.ts";
import type { KubeList, KubeObject } from "../../src/kube/resources.ts";
import { waitFor } from "../../src/kube/testing/wait.ts";

interface ConfigMap extends KubeObject {
  readonly data?: Record<string, string>;
}

let client: KubeClient;
const namespace = `kube-edge-${randomBytes(3).toString("hex")}`;
const cm = (name: string) => ({ resource: CONFIGMAPS, name, namespace });

beforeAll(async () => {
  client = createKubeClient().client;
  await client.request({
    method: "POST",
    path: collectionPath(NAMESPACES),
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
  });
});

afterAll(async () => {
  await client.request({ method: "DELETE", path: objectPath(NAMESPACES, namespace) }).catch(() => undefined);
  await client.kc.closeConnections();
});

async function createConfigMap(name: string, data: Record<string, string>): Promise<ConfigMap> {
  return client.request<ConfigMap>({
    method: "POST",
    path: collectionPath(CONFIGMAPS, namespace),
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { suite: "kube-edge" } }, data },
  });
}

describe("informer on a real API server", () => {
  it("sees add, update and delete of ConfigMaps and resumes after the server closes the watch", async () => {
    const restarts: WatchRestartReason[] = [];
    let relists = 0;
    const metrics: InformerMetrics = {
      relist: () => (relists += 1),
      watchRestart: (r) => restarts.push(r),
      watchEvent: () => {},
    };
    const informer = new Informer<ConfigMap>({
      transport: client,
      path: collectionPath(CONFIGMAPS, namespace),
      labelSelector: "suite=kube-edge",
      watchTimeoutSeconds: 2, // the server ends each watch after 2–4 s, so we see resumes quickly
      quickCloseMs: 1000,
      metrics,
    });
    const events: string[] = [];
    informer.onAdd((o) => events.push(`add ${o.metadata?.name}`));
    informer.onUpdate((a, b) => events.push(`update ${b.metadata?.name} ${a.data?.v}->${b.data?.v}`));
    informer.onDelete((o) => events.push(`delete ${o.metadata?.name}`));
    await createConfigMap("before", { v: "0" });
    informer.start();
    try {
      await informer.waitForSync();
      expect(events).toEqual(["add before"]);

      await createConfigMap("web", { v: "1" });
      await mergePatch(client, cm("web"), { data: { v: "2" } });
      await client.request({ method: "DELETE", path: objectPath(CONFIGMAPS, "web", namespace) });
      await waitFor(() => events.length === 4, "add/update/delete of web", {
        describe: () => events,
        timeoutMs: 10_000,
      });
      expect(events.slice(1)).toEqual(["add web", "update web 1->2", "delete web"]);

      // Wait until the server has closed the watch at least once, then change things again.
      await waitFor(() => restarts.includes("closed"), "the server to end a watch", { timeoutMs: 10_000 });
      await mergePatch(client, cm("before"), { data: { v: "1" } });
      await waitFor(() => events.length === 5, "the update after the resume", {
        describe: () => events,
        timeoutMs: 10_000,
      });
      expect(events[4]).toBe("update before 0->1");
      expect(relists).toBe(1); // resumed from the resourceVersion, no second LIST
      expect(informer.store.keys()).toEqual([`${namespace}/before`]);
    } finally {
      await informer.stop();
    }
  });
});

describe("leader election on a real Lease", () => {
  const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
  const elector = (identity: string) =>
    new LeaderElector({ transport: client, namespace, name: "kube-edge-leader", identity, ...timing });
  const lease = () =>
    client.request<Lease>({ method: "GET", path: objectPath(LEASES, "kube-edge-leader", namespace) });

  it("hands over to the second elector when the leader stops renewing, and releases on graceful stop", async () => {
    const a = elector("a");
    const b = elector("b");
    try {
      void a.start();
      await waitFor(() => a.isLeader(), "a to lead", { timeoutMs: 10_000 });
      void b.start();
      const first = await lease();
      expect(first.spec?.holderIdentity).toBe("a");
      expect(first.spec?.renewTime).toMatch(/\.\d{6}Z$/); // the server accepted and kept MicroTime
      await new Promise((r) => setTimeout(r, 1500));
      expect(b.isLeader()).toBe(false);
      expect((await lease()).spec?.renewTime).not.toBe(first.spec?.renewTime); // a keeps renewing

      const frozenAt = Date.now();
      await a.stop({ release: false });
      await waitFor(() => b.isLeader(), "b to take over", { timeoutMs: 10_000 });
      const handoverMs = Date.now() - frozenAt;
      expect(handoverMs).toBeGreaterThanOrEqual(timing.leaseDurationMs - 2 * timing.retryPeriodMs);
      expect(handoverMs).toBeLessThan(timing.leaseDurationMs + 4 * timing.retryPeriodMs);
      expect((await lease()).spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });

      await b.stop();
      expect((await lease()).spec?.holderIdentity).toBe("");
    } finally {
      await a.stop({ release: false });
      await b.stop({ release: false });
    }
  });
});

describe("events on a real API server", () => {
  it("creates an Event and folds repeats into its series", async () => {
    const subject = await createConfigMap("evented", { v: "1" });
    const recorder = new EventRecorder({ transport: client, reportingInstance: "kube-edge-test" });
    recorder.record(subject, "Normal", "Tested", "Test", "kube-edge e2e event");
    await recorder.flush();
    recorder.record(subject, "Normal", "Tested", "Test", "kube-edge e2e event");
    recorder.record(subject, "Normal", "Tested", "Test", "kube-edge e2e event");
    await recorder.flush();
    const list = await client.request<KubeList<KubeObject & { reason?: string; series?: { count: number } }>>(
      {
        method: "GET",
        path: `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
      },
    );
    const ours = list.items.filter((e) => e.reason === "Tested");
    expect(ours).toHaveLength(1);
    expect(ours[0]?.series?.count).toBe(3);
    // And it is visible through the core/v1 view kubectl describe uses.
    const core = await client.request<KubeList<KubeObject & { involvedObject?: { name?: string } }>>({
      method: "GET",
      path: `/api/v1/namespaces/${namespace}/events`,
      query: { fieldSelector: "reason=Tested" },
    });
    expect(core.items.map((e) => e.involvedObject?.name)).toEqual(["evented"]);
  });
});

describe("patch helpers on a real API server", () => {
  it("merge, JSON and strategic patches apply; a stale resourceVersion is a ConflictError", async () => {
    const created = await createConfigMap("patched", { a: "1" });
    await mergePatch(client, cm("patched"), { data: { b: "2" } });
    await jsonPatch(client, cm("patched"), [{ op: "add", path: "/data/c", value: "3" }]);
    const out = await strategicMergePatch<ConfigMap>(client, cm("patched"), { data: { d: "4" } });
    expect(out.data).toEqual({ a: "1", b: "2", c: "3", d: "4" });
    const stale = await mergePatch(client, cm("patched"), {
      metadata: { resourceVersion: created.metadata?.resourceVersion },
      data: { e: "5" },
    }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ApiError).message).toContain(
      `patch configmaps ${namespace}/patched failed: 409 Conflict`,
    );
    const failedTest = await jsonPatch(client, cm("patched"), [
      { op: "test", path: "/data/a", value: "nope" },
    ]).catch((e: unknown) => e);
    expect(failedTest).toBeInstanceOf(ApiError);
    expect((failedTest as ApiError).status).toBe(422);
  });
});
