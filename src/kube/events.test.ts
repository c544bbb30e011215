import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeClient } from "./client.ts";
import { EventRecorder } from "./events.ts";
import type { KubeLogger } from "./log.ts";
import { FakeApiServer } from "./testing/fake-apiserver.ts";

const EVENTS_PATH = "/apis/events.k8s.io/v1/namespaces/shop/events";
const rollout = {
  apiVersion: "rollouts.slipway.dev/v1alpha1",
  kind: "Rollout",
  metadata: { name: "web", namespace: "shop", uid: "u-1" },
};

let server: FakeApiServer;
beforeEach(async () => {
  server = new FakeApiServer();
  await server.start();
});
afterEach(() => server.stop());

function recorder(extra: Partial<ConstructorParameters<typeof EventRecorder>[0]> = {}) {
  const warnings: string[] = [];
  const logger: KubeLogger = {
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (f, m) => warnings.push(`${m} ${JSON.stringify(f)}`),
  };
  const r = new EventRecorder({
    transport: new KubeClient(server.kubeConfig()),
    reportingInstance: "slipway-0",
    logger,
    ...extra,
  });
  return { r, warnings };
}

type Ev = Record<string, unknown> & { series?: { count: number; lastObservedTime: string } };

describe("EventRecorder", () => {
  it("creates an events.k8s.io/v1 Event about the object with MicroTime and reporting fields", async () => {
    const { r } = recorder();
    r.record(rollout, "Normal", "StepStarted", "Progress", "step 1 of 4 started (replicas 1/10)");
    await r.flush();
    const [ev] = server.list(EVENTS_PATH) as Ev[];
    expect(ev).toMatchObject({
      type: "Normal",
      reason: "StepStarted",
      action: "Progress",
      note: "step 1 of 4 started (replicas 1/10)",
      reportingController: "rollouts.slipway.dev/controller",
      reportingInstance: "slipway-0",
      regarding: {
        apiVersion: "rollouts.slipway.dev/v1alpha1",
        kind: "Rollout",
        name: "web",
        namespace: "shop",
        uid: "u-1",
      },
    });
    expect(ev?.eventTime).toMatch(/\.\d{6}Z$/);
    expect((ev?.metadata as { name: string }).name).toMatch(/^web\.[0-9a-f]+$/);
    expect(ev?.series).toBeUndefined();
  });

  it("folds identical events into one series instead of creating new objects", async () => {
    const { r } = recorder();
    for (let i = 0; i < 5; i += 1) r.record(rollout, "Warning", "BatchUnready", "Wait", "batch 2 not ready");
    await r.flush();
    r.record(rollout, "Warning", "BatchUnready", "Wait", "batch 2 not ready");
    await r.flush();
    const events = server.list(EVENTS_PATH) as Ev[];
    expect(events).toHaveLength(1);
    expect(events[0]?.series?.count).toBe(6);
    expect(events[0]?.series?.lastObservedTime).toMatch(/\.\d{6}Z$/);
    const posts = server.requests.filter((q) => q.method === "POST").length;
    const patches = server.requests.filter((q) => q.method === "PATCH");
    expect(posts).toBe(1);
    // A burst collapses: far fewer writes than records.
    expect(patches.length).toBeLessThanOrEqual(3);
    expect(patches.every((p) => p.contentType === "application/merge-patch+json")).toBe(true);
  });

  it("keeps different reasons, notes or objects apart", async () => {
    const { r } = recorder();
    r.record(rollout, "Normal", "StepStarted", "Progress", "step 1");
    r.record(rollout, "Normal", "StepStarted", "Progress", "step 2");
    r.record(rollout, "Normal", "Paused", "Pause", "step 2");
    r.record(
      { ...rollout, metadata: { ...rollout.metadata, name: "api", uid: "u-2" } },
      "Normal",
      "StepStarted",
      "Progress",
      "step 1",
    );
    await r.flush();
    expect(server.list(EVENTS_PATH)).toHaveLength(4);
  });

  it("starts a new Event after the series window, and when the old Event has expired", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const { r } = recorder({ now: () => now, seriesWindowMs: 60_000 });
    r.record(rollout, "Normal", "Synced", "Sync", "ok");
    await r.flush();
    now = new Date(now.getTime() + 120_000);
    r.record(rollout, "Normal", "Synced", "Sync", "ok");
    await r.flush();
    expect(server.list(EVENTS_PATH)).toHaveLength(2);
    for (const ev of server.list(EVENTS_PATH))
      server.remove(`${EVENTS_PATH}/${(ev.metadata as { name: string }).name}`);
    now = new Date(now.getTime() + 1000);
    r.record(rollout, "Normal", "Synced", "Sync", "ok");
    await r.flush();
    const events = server.list(EVENTS_PATH) as Ev[];
    expect(events).toHaveLength(1);
    expect(events[0]?.series?.count).toBe(2);
  });

  it("never throws into the caller when the API refuses; it logs instead", async () => {
    const { r, warnings } = recorder();
    server.failNext(() => true, 403, "Forbidden", 1);
    expect(() => r.record(rollout, "Normal", "X", "Y", "z")).not.toThrow();
    await r.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("could not write an Event");
    expect(warnings[0]).toContain("create events in namespace shop failed: 403 Forbidden");
    // A broken subject is also just logged.
    expect(() => r.record(null as unknown as typeof rollout, "Normal", "X", "Y", "z")).not.toThrow();
    expect(warnings).toHaveLength(2);
  });

  it("puts events about cluster-scoped objects in default and caps the note at 1 kB", async () => {
    const { r } = recorder();
    r.record({ apiVersion: "v1", kind: "Node", name: "n1" }, "Normal", "Seen", "Observe", "é".repeat(2000));
    await r.flush();
    const [ev] = server.list("/apis/events.k8s.io/v1/namespaces/default/events") as Ev[];
    expect(Buffer.byteLength(String(ev?.note))).toBeLessThanOrEqual(1024);
    expect(String(ev?.note).endsWith("...")).toBe(true);
  });
});
