import { describe, expect, it } from "vitest";
import type { MeasurementPhase } from "../api/rollout-status.ts";
import {
  countMeasurement,
  gateOutcome,
  metricOutcome,
  NO_MEASUREMENTS,
  type Limits,
  type Outcome,
} from "./outcome.ts";

const limits = (over: Partial<Limits> = {}): Limits => ({
  count: 3,
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  onError: "Inconclusive",
  ...over,
});

const S: MeasurementPhase = "Successful";
const F: MeasurementPhase = "Failed";
const I: MeasurementPhase = "Inconclusive";
const E: MeasurementPhase = "Error";

/** The metric's outcome after each measurement of `phases`. */
function trace(phases: readonly MeasurementPhase[], l: Limits, bounded = true): Outcome[] {
  let c = NO_MEASUREMENTS;
  return phases.map((p) => {
    c = countMeasurement(c, p);
    return metricOutcome(c, l, bounded).phase;
  });
}

describe("metric outcome (SPEC §2.2)", () => {
  it.each([
    ["count successes pass", [S, S, S], limits(), ["Running", "Running", "Successful"]],
    ["the first failure fails with failureLimit 0", [S, F], limits(), ["Running", "Failed"]],
    [
      "failureLimit 1 tolerates one failure",
      [F, S, F],
      limits({ failureLimit: 1 }),
      ["Running", "Running", "Failed"],
    ],
    [
      "failureLimit 1, one failure, count reached",
      [F, S, S],
      limits({ failureLimit: 1 }),
      ["Running", "Running", "Successful"],
    ],
    ["inconclusive past its limit", [S, I], limits(), ["Running", "Inconclusive"]],
    [
      "inconclusiveLimit 1 tolerates one",
      [I, S, S],
      limits({ inconclusiveLimit: 1 }),
      ["Running", "Running", "Successful"],
    ],
    [
      "errors do not use up count",
      [S, E, S, E, S],
      limits(),
      ["Running", "Running", "Running", "Running", "Successful"],
    ],
    [
      "errors past consecutiveErrorLimit: Inconclusive by default",
      [E, E, E, E, E],
      limits(),
      ["Running", "Running", "Running", "Running", "Inconclusive"],
    ],
    [
      "errors past the limit with onError: Fail",
      [E, E],
      limits({ consecutiveErrorLimit: 1, onError: "Fail" }),
      ["Running", "Failed"],
    ],
    [
      "a success resets the error streak",
      [E, E, S, E, E, S],
      limits({ consecutiveErrorLimit: 2, count: 2 }),
      ["Running", "Running", "Running", "Running", "Running", "Successful"],
    ],
    [
      "consecutiveErrorLimit 0: the first error decides",
      [E],
      limits({ consecutiveErrorLimit: 0 }),
      ["Inconclusive"],
    ],
    ["Failed beats Inconclusive", [I, F], limits({ inconclusiveLimit: 5 }), ["Running", "Failed"]],
  ] as const)("%s", (_name, phases, l, expected) => {
    expect(trace(phases, l)).toEqual(expected);
  });

  it("background analysis (unbounded) never succeeds by count, but fails and goes inconclusive", () => {
    expect(trace([S, S, S, S, S], limits(), false)).toEqual([
      "Running",
      "Running",
      "Running",
      "Running",
      "Running",
    ]);
    expect(trace([S, S, S, F], limits(), false).at(-1)).toBe("Failed");
    expect(trace([S, I], limits(), false).at(-1)).toBe("Inconclusive");
  });

  it("names the rule that decided", () => {
    let c = NO_MEASUREMENTS;
    for (const p of [F, F]) c = countMeasurement(c, p);
    expect(metricOutcome(c, limits({ failureLimit: 1 }), true)).toEqual({
      phase: "Failed",
      rule: "2 failed > failureLimit 1",
    });
    let e = NO_MEASUREMENTS;
    for (const p of [E, E]) e = countMeasurement(e, p);
    expect(metricOutcome(e, limits({ consecutiveErrorLimit: 1 }), true)).toEqual({
      phase: "Inconclusive",
      rule: "2 errors in a row > consecutiveErrorLimit 1 (onError: Inconclusive)",
    });
  });

  it("counts each phase", () => {
    let c = NO_MEASUREMENTS;
    for (const p of [S, F, I, E, E, S]) c = countMeasurement(c, p);
    expect(c).toEqual({
      count: 4,
      successful: 2,
      failed: 1,
      inconclusive: 1,
      errors: 2,
      consecutiveErrors: 0,
    });
  });
});

describe("gate outcome", () => {
  it.each([
    [["Successful", "Successful"], "Successful"],
    [["Successful", "Running"], "Running"],
    [["Running", "Inconclusive"], "Inconclusive"],
    [["Inconclusive", "Failed"], "Failed"],
    [["Running", "Failed"], "Failed"],
    [["Successful", "Inconclusive", "Successful"], "Inconclusive"],
  ] as const)("%j → %s", (outcomes, expected) => {
    expect(gateOutcome(outcomes)).toBe(expected);
  });
});
