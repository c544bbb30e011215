import { describe, expect, it } from "vitest";
import { resolveFenceposts, scaledValue } from "./int-or-percent.ts";

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
    ["200%", 0, 3, 6, 0], // Kubernetes allows a surge above 100%
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
