// The demo app's simulated routing: requests follow the canary Ingress weight and the Services' pinned
// revisions, as nginx would send them, so the success-rate gate sees the canary's own traffic.
import { describe, expect, it } from "vitest";
import { spread, successRatio } from "../../scripts/demo/traffic-sim.ts";

const stable = { hash: "aaa", version: "v1", readyPods: 9 };
const canary = { hash: "bbb", version: "v2", readyPods: 1 };

describe("demo traffic simulation", () => {
  it("sends canary-weight % to the canary Service's pods and the rest to the pinned stable pods", () => {
    const split = spread(200, [stable, canary], { stableHash: "aaa", canaryHash: "bbb", canaryWeight: 10 });
    expect(Object.fromEntries(split)).toEqual({ aaa: 180, bbb: 20 });
  });

  it("without routing, requests spread over all ready pods by count (the Service alone)", () => {
    const split = spread(100, [stable, canary], {
      stableHash: undefined,
      canaryHash: undefined,
      canaryWeight: 0,
    });
    expect(Object.fromEntries(split)).toEqual({ aaa: 90, bbb: 10 });
  });

  it("a canary with no ready pods gets nothing; unready revisions never receive traffic", () => {
    const cold = { ...canary, readyPods: 0 };
    const split = spread(100, [stable, cold], { stableHash: "aaa", canaryHash: "bbb", canaryWeight: 50 });
    expect(Object.fromEntries(split)).toEqual({ aaa: 100 });
  });

  it("v3 is the bad version", () => {
    expect(successRatio("v3")).toBe(0.7);
    expect(successRatio("v2")).toBeGreaterThan(0.99);
  });
});
