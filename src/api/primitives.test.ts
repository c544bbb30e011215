import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration, parseIntOrPercent } from "./primitives.ts";

describe("parseDuration", () => {
  it.each([
    [30, 30],
    [0, 0],
    ["30s", 30],
    ["10m", 600],
    ["1h", 3600],
    ["1h30m", 5400],
    ["2m5s", 125],
    ["0s", 0],
  ] as const)("%j is %d seconds", (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([["10 m"], ["1.5h"], ["5d"], ["m"], [""], ["-3s"], [-1], [1.5], ["30m1h"], ["1h1h"]] as const)(
    "refuses %j, naming the forms",
    (input) => {
      expect(() => parseDuration(input)).toThrow(/invalid duration .*"30s", "10m", "1h"/);
    },
  );

  it.each([
    [0, "0s"],
    [45, "45s"],
    [90, "1m30s"],
    [3600, "1h"],
    [5430, "1h30m30s"],
  ])("formats %d as %s (and parses back)", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe("parseIntOrPercent", () => {
  it("reads integers and percentages", () => {
    expect(parseIntOrPercent(3)).toEqual({ kind: "int", value: 3 });
    expect(parseIntOrPercent("30%")).toEqual({ kind: "percent", value: 30 });
    expect(parseIntOrPercent("100%")).toEqual({ kind: "percent", value: 100 });
  });
  it.each([["30"], ["%"], ["101%"], ["1.5%"], [-1], [2.5]] as const)("refuses %j", (input) => {
    expect(() => parseIntOrPercent(input)).toThrow(/invalid (value|percentage)/);
  });
});
