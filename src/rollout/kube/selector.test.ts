import { describe, expect, it } from "vitest";
import { matchesSelector, parseSelector } from "./selector.ts";

describe("label selectors answered from the cache", () => {
  it("match equality, set and existence requirements like the API server", () => {
    const s = parseSelector("app=web,tier in (a, b),!skip,zone,env!=prod");
    expect(matchesSelector(s, { app: "web", tier: "b", zone: "z", env: "dev" })).toBe(true);
    expect(matchesSelector(s, { app: "web", tier: "c", zone: "z" })).toBe(false);
    expect(matchesSelector(s, { app: "web", tier: "a", zone: "z", skip: "1" })).toBe(false);
    expect(matchesSelector(s, { app: "web", tier: "a" })).toBe(false);
    expect(matchesSelector(s, { app: "web", tier: "a", zone: "z", env: "prod" })).toBe(false);
    expect(matchesSelector(parseSelector("a notin (x)"), {})).toBe(true);
    expect(matchesSelector(parseSelector(""), { any: "thing" })).toBe(true);
  });
});
