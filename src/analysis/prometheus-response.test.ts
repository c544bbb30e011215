import { describe, expect, it } from "vitest";
import {
  compareLabels,
  formatNumber,
  parsePrometheusResponse,
  parseSampleValue,
  MAX_SERIES,
} from "./prometheus-response.ts";

const vector = (...series: [Record<string, string>, string][]) => ({
  status: "success",
  data: {
    resultType: "vector",
    result: series.map(([metric, v]) => ({ metric, value: [1764770000.123, v] })),
  },
});
const scalar = (v: string) => ({
  status: "success",
  data: { resultType: "scalar", result: [1764770000, v] },
});

describe("parsePrometheusResponse", () => {
  it.each([
    [
      "a one-series vector",
      vector([{ pod: "a" }, "0.998"]),
      { kind: "values", values: [0.998], text: "0.998" },
    ],
    [
      "a vector, one value per series sorted by labels",
      vector([{ pod: "b" }, "2"], [{ pod: "a" }, "1"], [{ pod: "a", zone: "x" }, "3"]),
      { kind: "values", values: [1, 3, 2], text: "[1, 3, 2]" },
    ],
    ["a scalar, as a one-element list", scalar("42"), { kind: "values", values: [42], text: "42" }],
    [
      "an empty vector: no data",
      vector(),
      { kind: "noData", why: "the query returned an empty vector", text: "[]" },
    ],
    ["a NaN scalar: no data", scalar("NaN"), { kind: "noData", why: "the query returned NaN", text: "NaN" }],
    ["+Inf: no data", vector([{}, "+Inf"]), { kind: "noData", why: "the query returned +Inf", text: "+Inf" }],
    ["-Inf: no data", scalar("-Inf"), { kind: "noData", why: "the query returned -Inf", text: "-Inf" }],
    [
      "one NaN series among several: no data, naming the series",
      vector([{ pod: "a" }, "1"], [{ pod: "b" }, "NaN"]),
      { kind: "noData", why: "the query returned NaN (series 2 of 2)", text: "[1, NaN]" },
    ],
    ["exponent notation", scalar("1e-3"), { kind: "values", values: [0.001], text: "0.001" }],
  ])("%s", (_name, body, result) => {
    expect(parsePrometheusResponse(body, 200)).toEqual({ ok: true, result, warnings: [] });
  });

  it("keeps Prometheus warnings", () => {
    expect(parsePrometheusResponse({ ...scalar("1"), warnings: ["partial response"] }, 200)).toMatchObject({
      ok: true,
      warnings: ["partial response"],
    });
  });

  it.each([
    [
      "an API error",
      { status: "error", errorType: "bad_data", error: 'parse error: unexpected "}"' },
      400,
      'Prometheus refused the query (HTTP 400): bad_data: parse error: unexpected "}"',
    ],
    [
      "a range vector",
      { status: "success", data: { resultType: "matrix", result: [] } },
      200,
      "the query returned a matrix, not an instant vector or scalar: remove the range selector or wrap it in a function such as rate(...)",
    ],
    [
      "a string",
      { status: "success", data: { resultType: "string", result: [1, "x"] } },
      200,
      "returned a string",
    ],
    ["a sample value that is no number", scalar("abc"), 200, "a scalar that is not a number"],
    ["a vector value that is no number", vector([{}, ""]), 200, "a sample value that is not a number"],
    ["garbage", { hello: "world" }, 200, "a body that is not a Prometheus API response"],
    ["a proxy's error page", { message: "bad gateway" }, 502, "Prometheus answered with HTTP 502"],
  ])("reports %s as an error", (_name, body, status, message) => {
    const parsed = parsePrometheusResponse(body, status);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(message);
  });

  it("refuses more series than a gate can reason about", () => {
    const many = vector(
      ...Array.from({ length: MAX_SERIES + 1 }, (_, i): [Record<string, string>, string] => [
        { i: String(i) },
        "1",
      ]),
    );
    expect(parsePrometheusResponse(many, 200)).toMatchObject({
      ok: false,
      error: expect.stringContaining("aggregate it"),
    });
  });
});

describe("helpers", () => {
  it.each([
    ["NaN", Number.NaN],
    ["+Inf", Infinity],
    ["Inf", Infinity],
    ["-Inf", -Infinity],
    ["0.5", 0.5],
    ["-2", -2],
    ["", undefined],
    ["x", undefined],
  ])("parseSampleValue(%j)", (text, value) => {
    expect(parseSampleValue(text)).toBe(value);
  });

  it("formats numbers short", () => {
    expect([0.9983333333, 1, 1e21, Number.NaN, -Infinity].map(formatNumber)).toEqual([
      "0.998333",
      "1",
      "1e+21",
      "NaN",
      "-Inf",
    ]);
  });

  it("orders label sets by sorted names, then values, then size", () => {
    const sets: Record<string, string>[] = [{ b: "1" }, { a: "2" }, { a: "1", b: "1" }, { a: "1" }];
    expect([...sets].sort(compareLabels)).toEqual([{ a: "1" }, { a: "1", b: "1" }, { a: "2" }, { b: "1" }]);
  });
});
