import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowedUnreadyFor, canaryReplicasFor } from "./batch-size.ts";

describe("canaryReplicasFor (SPEC §5.2)", () => {
  it.each([
    // SPEC examples
    [10, ["20%", "50%", "100%"], [2, 5, 10]],
    [3, ["20%", "40%", "60%", "80%", "90%"], [1, 2, 2, 2, 2]],
    [1, ["50%"], [1]],
    [4, [1, 3, 10], [1, 3, 4]],
    // edge cases
    [0, [1, "1%", "50%", "100%", 5], [0, 0, 0, 0, 0]],
    [1, [1, "1%", "99%", "100%", 3], [1, 1, 1, 1, 1]],
    [2, ["1%", "50%", "99%", "100%"], [1, 1, 1, 2]],
    [100, ["1%", "99%", "100%"], [1, 99, 100]],
    [1000, ["1%", "99%"], [10, 990]],
    [7, ["30%", "43%", "86%"], [3, 4, 6]],
    [5, [5, 6, 50], [5, 5, 5]],
    [5, [4, "80%", "81%"], [4, 4, 4]],
  ] as const)("N=%d, steps %j → %j", (total, steps, expected) => {
    expect(steps.map((r) => canaryReplicasFor(r, total))).toEqual(expected);
  });

  it("an integer step may move every pod; only a 100% percentage step may", () => {
    expect(canaryReplicasFor(3, 3)).toBe(3);
    expect(canaryReplicasFor("99%", 3)).toBe(2);
  });

  it("takes a parsed value too", () => {
    expect(canaryReplicasFor({ kind: "percent", value: 50 }, 10)).toBe(5);
  });

  it("refuses a replica count that is not a whole number", () => {
    expect(() => canaryReplicasFor(1, -1)).toThrow(/invalid replica count -1/);
    expect(() => canaryReplicasFor(1, 2.5)).toThrow(/invalid replica count 2.5/);
  });

  it("holds the §5.2 invariants for every N and percentage", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 100 }), (n, p) => {
        const pods = canaryReplicasFor(`${p}%`, n);
        if (n === 0) return pods === 0;
        const atLeastOne = pods >= 1;
        const notAll = p === 100 || n === 1 || pods <= n - 1;
        const neverBelowShare = pods >= Math.min(Math.ceil((n * p) / 100), n > 1 && p < 100 ? n - 1 : n);
        const monotone = p === 1 || pods >= canaryReplicasFor(`${p - 1}%`, n);
        return atLeastOne && notAll && pods <= n && neverBelowShare && monotone;
      }),
    );
  });
});

describe("allowedUnreadyFor", () => {
  it.each([
    [0, 5, 0],
    [2, 5, 2],
    [9, 5, 5],
    ["10%", 5, 0],
    ["20%", 5, 1],
    ["50%", 5, 2],
    ["100%", 5, 5],
    ["50%", 0, 0],
  ] as const)("threshold %j of a %d-pod batch is %d", (threshold, batch, expected) => {
    expect(allowedUnreadyFor(threshold, batch)).toBe(expected);
  });
});
