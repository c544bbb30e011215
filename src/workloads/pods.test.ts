import { describe, expect, it } from "vitest";
import { batchFrame } from "./batch.ts";
import { countPods, isPodActive, isPodAvailable, podsByOwner } from "./pods.ts";
import { at, pod, T0 } from "./testing/fixtures.ts";

const owner = { kind: "ReplicaSet", name: "web-abc", uid: "uid-rs" };
const labels = { app: "web" };

describe("pod readiness from real pod status", () => {
  it("does not count terminating, failed or succeeded pods", () => {
    const succeeded = { ...pod(owner, 3, "ready", labels), status: { phase: "Succeeded" } };
    expect(isPodActive(pod(owner, 0, "terminating", labels))).toBe(false);
    expect(isPodActive(pod(owner, 1, "failed", labels))).toBe(false);
    expect(isPodActive(succeeded)).toBe(false);
    expect(isPodActive(pod(owner, 2, "pending", labels))).toBe(true);
  });

  it("counts a ready pod as available only after minReadySeconds (strictly, like Kubernetes)", () => {
    const ready = pod(owner, 0, "ready", labels, T0);
    expect(isPodAvailable(ready, 0, new Date(T0))).toBe(true);
    expect(isPodAvailable(ready, 10, new Date(T0 + 10_000))).toBe(false);
    expect(isPodAvailable(ready, 10, new Date(T0 + 10_001))).toBe(true);
    expect(isPodAvailable(pod(owner, 1, "pending", labels), 0, new Date(T0))).toBe(false);
  });

  it("accepts Date objects as well as JSON timestamps", () => {
    const ready = pod(owner, 0, "ready", labels, T0);
    ready.status!.conditions![0]!.lastTransitionTime = new Date(T0);
    expect(isPodAvailable(ready, 5, new Date(T0 + 6000))).toBe(true);
  });

  it("tallies pods and says when the next one becomes available", () => {
    const pods = [
      pod(owner, 0, "ready", labels, T0 - 60_000),
      pod(owner, 1, "ready", labels, T0 - 2000),
      pod(owner, 2, "pending", labels),
      pod(owner, 3, "terminating", labels),
    ];
    const tally = countPods(pods, 5, new Date(T0));
    expect(tally).toEqual({ pods: 3, ready: 2, available: 1, nextAvailableAt: T0 + 3001 });
  });

  it("groups pods by their controlling owner", () => {
    const other = { kind: "ReplicaSet", name: "web-def", uid: "uid-other" };
    const grouped = podsByOwner([pod(owner, 0, "ready", labels), pod(other, 1, "ready", labels)]);
    expect(grouped.get("uid-rs")?.length).toBe(1);
    expect(grouped.get("uid-other")?.length).toBe(1);
  });

  it("timestamps are parsed from strings", () => {
    expect(at(T0) as unknown as string).toBe("2025-01-01T00:00:00.000Z");
  });
});

describe("batch readiness (SPEC §5.3)", () => {
  const cases: [number, number, number, number | string, boolean][] = [
    [3, 3, 3, 0, true],
    [3, 3, 2, 0, false],
    [3, 3, 2, 1, true], // one failure allowed
    [3, 2, 2, 1, false], // updated < batch is never ready
    [10, 10, 8, "20%", true],
    [10, 10, 7, "20%", false],
    [0, 0, 0, 0, true],
  ];
  for (const [batch, updated, updatedReady, threshold, ready] of cases) {
    it(`batch ${batch}, updated ${updated}, ready ${updatedReady}, threshold ${threshold} → ${ready}`, () => {
      expect(batchFrame(batch, 10, { updated, updatedReady }, threshold).readyByPods).toBe(ready);
    });
  }
});
