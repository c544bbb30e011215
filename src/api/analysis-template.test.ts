/* eslint-disable @typescript-eslint/no-explicit-any -- the tables mutate plain fixture objects */
import { describe, expect, it } from "vitest";
import { parseAnalysisTemplate, parseClusterAnalysisTemplate } from "./parse.ts";
import { validTemplate } from "./testdata/fixtures.ts";
import { TEMPLATE_REJECTS, rows } from "./testdata/reject-cases.ts";

type Spec = Record<string, any>;

function withSpec(mutate: (spec: Spec) => void): unknown {
  const t = validTemplate();
  mutate(t.spec);
  return t;
}

describe("parseAnalysisTemplate", () => {
  it("accepts the SPEC §2.2 example", () => {
    const result = parseAnalysisTemplate(validTemplate());
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("accepts a minimal metric with only a failureCondition and a secret header", () => {
    const result = parseAnalysisTemplate(
      withSpec((s) => {
        s["args"] = undefined;
        s["metrics"] = [
          {
            name: "errors",
            provider: {
              prometheus: {
                address: "https://prom.example.com",
                query: "sum(rate(errors[1m]))",
                headers: [
                  { name: "Authorization", valueFrom: { secretKeyRef: { name: "prom", key: "token" } } },
                ],
              },
            },
            failureCondition: "result.exists(x, x > 5.0)",
          },
        ];
      }),
    );
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("parses a ClusterAnalysisTemplate with the same rules", () => {
    expect(parseClusterAnalysisTemplate(validTemplate("ClusterAnalysisTemplate")).ok).toBe(true);
    const bad = validTemplate("ClusterAnalysisTemplate");
    bad.spec["metrics"][0].interval = "0s";
    const result = parseClusterAnalysisTemplate(bad);
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual(["spec.metrics[0].interval"]);
  });

  it.each(rows(TEMPLATE_REJECTS))("refuses %s", (_name, mutate, path, message) => {
    const result = parseAnalysisTemplate(withSpec(mutate));
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
    expect(problems[0]?.message).toContain(message);
  });
});
