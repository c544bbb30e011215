import { describe, expect, it } from "vitest";
import { movesEveryPod, trafficByStep } from "./traffic.ts";

const pct = (value: number) => ({ kind: "percent" as const, value });
const int = (value: number) => ({ kind: "int" as const, value });

describe("traffic per step", () => {
  it("carries the last weight forward", () => {
    expect(
      trafficByStep([
        { replicas: int(1), traffic: 5 },
        { replicas: pct(50), traffic: null },
        { replicas: pct(60), traffic: 60 },
      ]),
    ).toEqual([5, 5, 60]);
  });

  it("starts at 0", () => {
    expect(trafficByStep([{ replicas: int(1), traffic: null }])).toEqual([0]);
  });

  it("sends everything to the canary at a step that moves every pod and sets no weight", () => {
    expect(
      trafficByStep([
        { replicas: int(1), traffic: 5 },
        { replicas: pct(50), traffic: 50 },
        { replicas: pct(100), traffic: null },
      ]),
    ).toEqual([5, 50, 100]);
    expect(trafficByStep([{ replicas: pct(100), traffic: 30 }])).toEqual([30]);
  });

  it("knows which steps move every pod", () => {
    expect(movesEveryPod({ replicas: pct(100) })).toBe(true);
    expect(movesEveryPod({ replicas: pct(99) })).toBe(false);
    expect(movesEveryPod({ replicas: int(100) })).toBe(false);
  });
});
