// The release monitor's defence against a watch that stops delivering events without ending (the cause of the
// kill -9 suite's "Succeeded with 7 pods on the old revision" reports, docs/decisions/rollout-crash-finish.md).
import type { V1Pod } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { podPicture, VerifiedWatch, WatchVerifier, type WatchSpec } from "../e2e/rollout/watch-verifier.ts";

describe("WatchVerifier", () => {
  test("compares only after the watch has been quiet for quietMs", () => {
    const v = new WatchVerifier(1_000, 3_000);
    expect(v.shouldCheck(3_999)).toBe(false);
    expect(v.shouldCheck(4_000)).toBe(true);
    v.eventSeen(4_500);
    expect(v.shouldCheck(5_000)).toBe(false);
  });

  test("a difference is stale only when a second quiet check still finds it with no event in between", () => {
    const v = new WatchVerifier(0, 3_000);
    expect(v.judge(true, 3_000)).toBe("suspect");
    expect(v.judge(true, 5_000)).toBe("stale");
  });

  test("an event after the first difference clears the suspicion", () => {
    const v = new WatchVerifier(0, 3_000);
    expect(v.judge(true, 3_000)).toBe("suspect");
    v.eventSeen(4_000);
    expect(v.judge(true, 7_000)).toBe("suspect");
    expect(v.judge(true, 9_000)).toBe("stale");
  });

  test("agreement, or an event that arrived while the read was in flight, is fresh", () => {
    const v = new WatchVerifier(0, 3_000);
    expect(v.judge(true, 3_000)).toBe("suspect");
    expect(v.judge(false, 5_000)).toBe("fresh");
    expect(v.judge(true, 7_000)).toBe("suspect");
    v.eventSeen(9_500);
    expect(v.judge(true, 9_000)).toBe("fresh");
  });
});

/** A fake API server with one watchable value, and a watch that may go silent. */
class FakeSource implements WatchSpec {
  readonly what = "a fake collection";
  server = "v1";
  watchedValue = "";
  opens = 0;
  silent = false;
  #deliver: ((apply: () => void) => void) | undefined;

  open(deliver: (apply: () => void) => void): Promise<AbortController> {
    this.opens++;
    const listed = this.server;
    deliver(() => (this.watchedValue = listed));
    this.#deliver = deliver;
    return Promise.resolve(new AbortController());
  }
  watched(): string {
    return this.watchedValue;
  }
  read(): Promise<string> {
    return Promise.resolve(this.server);
  }
  /** A change on the server; a live watch delivers it, a silent one does not. */
  change(value: string): void {
    this.server = value;
    if (!this.silent) this.#deliver?.(() => (this.watchedValue = value));
  }
}

describe("VerifiedWatch", () => {
  const timing = { quietMs: 3_000, everyMs: 2_000 };
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  test("a watch that went silent while the server changed is replaced, and the stall is kept", async () => {
    const source = new FakeSource();
    const watch = new VerifiedWatch(source, timing);
    await watch.start();
    source.silent = true;
    source.change("v2");
    // Quiet for 3 s → first check: suspect; next check, still no event → stale → re-read and re-opened.
    await vi.advanceTimersByTimeAsync(8_000);
    expect(watch.stalls).toHaveLength(1);
    expect(watch.stalls[0]).toContain("showed [v1] but a fresh read showed [v2]");
    expect(source.opens).toBe(2);
    expect(source.watched()).toBe("v2");
    watch.stop();
  });

  test("a live watch is never replaced, however quiet", async () => {
    const source = new FakeSource();
    const watch = new VerifiedWatch(source, timing);
    await watch.start();
    source.change("v2");
    await vi.advanceTimersByTimeAsync(30_000);
    source.change("v3");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(watch.stalls).toEqual([]);
    expect(source.opens).toBe(1);
    expect(source.watched()).toBe("v3");
    watch.stop();
  });
});

describe("podPicture", () => {
  const pod = (name: string, hash: string, ready: boolean, terminating = false): V1Pod => ({
    metadata: {
      name,
      labels: { "pod-template-hash": hash },
      ...(terminating ? { deletionTimestamp: new Date(0) } : {}),
    },
    status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  });

  test("ignores order, and tells revision, readiness and termination apart", () => {
    const a = pod("web-a", "v1", true);
    const b = pod("web-b", "v2", false);
    expect(podPicture([a, b])).toBe(podPicture([b, a]));
    expect(podPicture([a, b])).toBe("web-a v1 ready\nweb-b v2");
    expect(podPicture([a])).not.toBe(podPicture([pod("web-a", "v1", false)]));
    expect(podPicture([a])).not.toBe(podPicture([pod("web-a", "v1", true, true)]));
    expect(podPicture([a])).not.toBe(podPicture([pod("web-a", "v2", true)]));
  });
});
