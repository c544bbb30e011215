import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { age, bar, elapsed, flow, wrap } from "./text.ts";

describe("bar", () => {
  it("always fills exactly the width and shows every non-zero part", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 60 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
        (width, units) => {
          const chars = ["█", "▓", "▒"];
          const parts = units.map((u, i) => ({ units: u, char: chars[i] ?? "█" }));
          const drawn = bar(width, parts);
          expect([...drawn].length).toBe(width);
          units.forEach((u, i) => {
            if (u > 0) expect(drawn).toContain(chars[i]);
          });
        },
      ),
    );
  });

  it("is proportional: 1 canary pod of 4 on 20 cells is 5 cells", () => {
    expect(
      bar(20, [
        { units: 1, char: "█" },
        { units: 3, char: "░" },
      ]),
    ).toBe(`${"█".repeat(5)}${"░".repeat(15)}`);
    expect(bar(10, [])).toBe("░".repeat(10));
  });
});

describe("wrap and flow", () => {
  it("wrap keeps words whole and lines within the width", () => {
    expect(wrap("the quick brown fox jumps", 10)).toEqual(["the quick", "brown fox", "jumps"]);
    expect(wrap("abcdefghijkl", 5)).toEqual(["abcde", "fghij", "kl"]);
  });

  it("flow lays out whole tokens, measuring only visible characters", () => {
    const red = (t: string) => `\u001b[31m${t}\u001b[39m`;
    expect(flow([`0.9 ${red("✖")}`, "0.99 ✔", "1 ✔"], 14)).toEqual([`0.9 ${red("✖")}  0.99 ✔`, "1 ✔"]);
  });
});

describe("durations", () => {
  const now = Date.parse("2025-03-01T10:00:00Z");
  it("elapsed is whole seconds in the short form, never negative", () => {
    expect(elapsed("2025-03-01T09:58:48Z", now)).toBe("1m12s");
    expect(elapsed("2025-03-01T10:00:05Z", now)).toBe("0s");
    expect(elapsed(undefined, now)).toBeUndefined();
  });
  it("age uses kubectl's largest unit", () => {
    expect(age("2025-03-01T09:59:00Z", now)).toBe("60s");
    expect(age("2025-03-01T09:00:00Z", now)).toBe("60m");
    expect(age("2025-02-28T10:00:00Z", now)).toBe("24h");
    expect(age("2025-02-20T10:00:00Z", now)).toBe("9d");
    expect(age(undefined, now)).toBe("<unknown>");
  });
});
