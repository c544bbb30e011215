import { describe, expect, it } from "vitest";
import { allowedFailures, resolveFenceposts, scaledValue } from "./int-or-percent.ts";

describe("resolveFenceposts (as deploymentutil.ResolveFenceposts)", () => {
  const cases: [number | string | undefined, number | string | undefined, number, number, number][] = [
    ["25%", "25%", 10, 3, 2], // surge rounds up, unavailable rounds down
    ["25%", "25%", 1, 1, 0],
    ["25%", "25%", 4, 1, 1],
    [0, "25%", 3, 0, 1], // both resolve to 0 → maxUnavailable 1
    ["10%", "10%", 5, 1, 0],
    [0, 0, 7, 0, 1],
    [2, 3, 12, 2, 3],
    [0, "100%", 6, 0, 6],
    [0, 20, 6, 0, 6], // maxUnavailable never exceeds N
    [undefined, undefined, 5, 0, 1],
  ];
  for (const [surge, unavailable, n, expectedSurge, expectedUnavailable] of cases) {
    it(`maxSurge ${surge}, maxUnavailable ${unavailable}, N=${n} → ${expectedSurge}/${expectedUnavailable}`, () => {
      expect(resolveFenceposts(surge, unavailable, n)).toEqual({
        maxSurge: expectedSurge,
        maxUnavailable: expectedUnavailable,
      });
    });
  }

  it("rejects what Kubernetes rejects, naming the value", () => {
    expect(() => scaledValue("3", 10, true)).toThrow(/"3".*whole percentage/);
    expect(() => scaledValue("12.5%", 10, true)).toThrow(/12\.5%/);
    expect(() => scaledValue(1.5, 10, true)).toThrow(/1\.5/);
  });
});

describe("allowedFailures", () => {
  it("takes an integer as it is, capped at the batch", () => {
    expect(allowedFailures(1, 3)).toBe(1);
    expect(allowedFailures(5, 3)).toBe(3);
    expect(allowedFailures(0, 3)).toBe(0);
  });
  it("rounds a percentage of the batch down", () => {
    expect(allowedFailures("20%", 3)).toBe(0);
    expect(allowedFailures("20%", 10)).toBe(2);
    expect(allowedFailures("50%", 5)).toBe(2);
  });
});
