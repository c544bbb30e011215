import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeClient } from "./client.ts";
import { LeaderElector } from "./leader-election.ts";
import type { Lease, LeaderElectorOptions } from "./leader-election.ts";
import { formatMicroTime, parseMicroTime } from "./micro-time.ts";
import { LEASES, objectPath } from "./resources.ts";
import { FakeApiServer } from "./testing/fake-apiserver.ts";
import { waitFor } from "./testing/wait.ts";

const LEASE_PATH = objectPath(LEASES, "slipway-controller", "slipway-system");
// Scaled down from 15 s / 10 s / 2 s, keeping the same proportions.
const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

let server: FakeApiServer;
let electors: LeaderElector[];

beforeEach(async () => {
  server = new FakeApiServer();
  electors = [];
  await server.start();
});
afterEach(async () => {
  await Promise.all(electors.map((e) => e.stop({ release: false })));
  await server.stop();
});

function elector(identity: string, extra: Partial<LeaderElectorOptions> = {}) {
  const log: string[] = [];
  const e = new LeaderElector({
    transport: new KubeClient(server.kubeConfig()),
    namespace: "slipway-system",
    name: "slipway-controller",
    identity,
    ...TIMING,
    onStartedLeading: () => log.push("started"),
    onStoppedLeading: () => log.push("stopped"),
    ...extra,
  });
  electors.push(e);
  return { e, log };
}

const lease = () => server.get(LEASE_PATH) as Lease | undefined;
const puts = (identity?: string) =>
  server.requests.filter(
    (r) =>
      r.method === "PUT" && (identity === undefined || (r.body as Lease).spec?.holderIdentity === identity),
  );

describe("MicroTime", () => {
  it("always has six fractional digits", () => {
    expect(formatMicroTime(new Date("2026-03-01T12:00:00.123Z"))).toBe("2026-03-01T12:00:00.123000Z");
    expect(formatMicroTime(new Date("2026-03-01T12:00:00Z"))).toBe("2026-03-01T12:00:00.000000Z");
    expect(parseMicroTime("2026-03-01T12:00:00.123456Z")?.toISOString()).toBe("2026-03-01T12:00:00.123Z");
    expect(parseMicroTime("garbage")).toBeUndefined();
  });
});

describe("LeaderElector", () => {
  it("creates a missing Lease, leads, and renews it every retry period", async () => {
    const { e, log } = elector("a");
    void e.start();
    await waitFor(() => e.isLeader(), "a to lead");
    expect(log).toEqual(["started"]);
    const created = lease();
    expect(created?.spec).toMatchObject({
      holderIdentity: "a",
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    expect(created?.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(created?.spec?.acquireTime).toMatch(/\.\d{6}Z$/);
    await waitFor(() => puts("a").length >= 3, "three renewals", { timeoutMs: 3000 });
    const renewed = lease();
    expect(renewed?.spec?.acquireTime).toBe(created?.spec?.acquireTime);
    expect(renewed?.spec?.renewTime).not.toBe(created?.spec?.renewTime);
    // Each renewal is a single PUT carrying the resourceVersion it was based on (no GET needed).
    const gets = server.requests.filter((r) => r.method === "GET").length;
    expect(gets).toBe(1);
    for (const put of puts("a")) expect((put.body as Lease).metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it("lets exactly one of two candidates lead", async () => {
    const a = elector("a");
    const b = elector("b");
    void a.e.start();
    void b.e.start();
    await waitFor(() => a.e.isLeader() || b.e.isLeader(), "someone to lead");
    await new Promise((r) => setTimeout(r, 800));
    expect([a.e.isLeader(), b.e.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it("hands over once the leader stops renewing, after about one lease duration", async () => {
    const a = elector("a");
    void a.e.start();
    await waitFor(() => a.e.isLeader(), "a to lead");
    const b = elector("b");
    void b.e.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(b.e.isLeader()).toBe(false);
    const frozeAt = performance.now();
    await a.e.stop({ release: false }); // a crashed: no release, renewals simply stop
    await waitFor(() => b.e.isLeader(), "b to take over", { timeoutMs: 4000 });
    const handover = performance.now() - frozeAt;
    expect(handover).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs * 2);
    expect(handover).toBeLessThan(TIMING.leaseDurationMs + TIMING.retryPeriodMs * 4);
    expect(lease()?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("releases the lease on a graceful stop so the successor takes over within a retry period", async () => {
    const a = elector("a");
    void a.e.start();
    await waitFor(() => a.e.isLeader(), "a to lead");
    const b = elector("b");
    void b.e.start();
    await new Promise((r) => setTimeout(r, 300));
    const stoppedAt = performance.now();
    await a.e.stop();
    expect(a.log).toEqual(["started", "stopped"]);
    expect(lease()?.spec?.holderIdentity).toBe("");
    await waitFor(() => b.e.isLeader(), "b to take over");
    expect(performance.now() - stoppedAt).toBeLessThan(TIMING.retryPeriodMs * 3);
  });

  it("gives up leadership when renewals keep failing past the renew deadline", async () => {
    let signal: AbortSignal | undefined;
    const a = elector("a", { onStartedLeading: (s) => (signal = s) });
    const done = a.e.start();
    await waitFor(() => a.e.isLeader(), "a to lead");
    const failingFrom = performance.now();
    server.failNext(() => true, 500, "InternalError", 1000);
    await done;
    const lostAfter = performance.now() - failingFrom;
    expect(a.e.isLeader()).toBe(false);
    expect(signal?.aborted).toBe(true);
    expect(a.log).toEqual(["stopped"]);
    expect(lostAfter).toBeGreaterThanOrEqual(TIMING.renewDeadlineMs);
    // It must stop before anyone else may take the lease, or two leaders would overlap.
    expect(lostAfter).toBeLessThan(TIMING.leaseDurationMs + TIMING.retryPeriodMs);
  });

  it("does not take a lease another holder keeps renewing, even if its timestamps look old", async () => {
    const longAgo = "2001-01-01T00:00:00.000000Z";
    server.seed(LEASE_PATH, {
      metadata: { name: "slipway-controller" },
      spec: {
        holderIdentity: "other",
        leaseDurationSeconds: 1,
        renewTime: longAgo,
        acquireTime: longAgo,
        leaseTransitions: 4,
      },
    });
    const renew = setInterval(
      () =>
        server.mutate(LEASE_PATH, (o) => ({
          ...o,
          spec: { ...(o.spec as object), leaseTransitions: 4, renewTime: formatMicroTime(new Date()) },
        })),
      300,
    );
    try {
      const a = elector("a");
      void a.e.start();
      await new Promise((r) => setTimeout(r, 2000));
      expect(a.e.isLeader()).toBe(false);
    } finally {
      clearInterval(renew);
    }
    await waitFor(() => electors[0]?.isLeader(), "a to lead once renewals stop", { timeoutMs: 3000 });
    expect(lease()?.spec).toMatchObject({ holderIdentity: "a", leaseTransitions: 5 });
  });

  it("loses a race cleanly: a 409 on its write means someone else won", async () => {
    server.seed(LEASE_PATH, { metadata: { name: "slipway-controller" }, spec: { holderIdentity: "" } });
    server.failNext((r) => r.method === "PUT", 409, "Conflict", 1);
    const a = elector("a");
    void a.e.start();
    await waitFor(() => a.e.isLeader(), "a to lead on the next try");
    expect(puts("a").length).toBeGreaterThanOrEqual(2);
  });

  it("rejects timings that would allow two leaders", () => {
    const transport = new KubeClient(server.kubeConfig());
    const base = { transport, namespace: "n", name: "l", identity: "x" };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      "lease duration (10000 ms) must be longer than the renew deadline (10000 ms)",
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(
      "renew deadline (2000 ms) must exceed 1.2 × retry period (2000 ms)",
    );
  });
});
