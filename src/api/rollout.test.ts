/* eslint-disable @typescript-eslint/no-explicit-any -- the tables mutate plain fixture objects */
import { describe, expect, it } from "vitest";
import { parseRollout } from "./parse.ts";
import { validRollout } from "./testdata/fixtures.ts";
import { ROLLOUT_REJECTS, rows } from "./testdata/reject-cases.ts";

type Spec = Record<string, any>;
const canary = (s: Spec): Spec => s["strategy"].canary;

function withSpec(mutate: (spec: Spec) => void): unknown {
  const r = validRollout();
  mutate(r.spec);
  return r;
}

describe("parseRollout accepts", () => {
  const cases: [string, (s: Spec) => void][] = [
    ["the SPEC §2.1 example", () => {}],
    [
      "a StatefulSet without trafficRouting",
      (s) => {
        s["workloadRef"] = { apiVersion: "apps/v1", kind: "StatefulSet", name: "db" };
        canary(s).trafficRouting = undefined;
        canary(s).steps = [
          { replicas: 1 },
          { replicas: "50%", pause: { duration: 30 } },
          { replicas: "100%" },
        ];
      },
    ],
    [
      "a CloneSet of apps.kruise.io",
      (s) => {
        s["workloadRef"] = { apiVersion: "apps.kruise.io/v1alpha1", kind: "CloneSet", name: "web" };
        canary(s).trafficRouting = undefined;
        canary(s).steps = [{ replicas: "20%" }];
      },
    ],
    [
      "istio with subsets and two header matches",
      (s) => {
        canary(s).trafficRouting = {
          service: "web",
          istio: {
            virtualService: { name: "web", routes: ["primary"] },
            destinationRule: { name: "web", stableSubset: "stable", canarySubset: "canary" },
          },
        };
        canary(s).steps[0].matches = [
          {
            headers: [
              { name: "x-canary", value: "true" },
              { name: "x-user", value: "^a.*", type: "RegularExpression" },
            ],
          },
          { headers: [{ name: "x-beta", value: "1" }] },
        ];
      },
    ],
    [
      "mixed units that only plan can judge",
      (s) => {
        canary(s).steps = [
          { replicas: "50%", traffic: "10%" },
          { replicas: 2, traffic: "10%" },
          { replicas: "100%" },
        ];
      },
    ],
    [
      "every optional field set",
      (s) => {
        Object.assign(s, {
          paused: true,
          disabled: false,
          ignoreTemplateKeys: ["kubectl.kubernetes.io/restartedAt"],
        });
        Object.assign(canary(s), {
          deploymentStyle: "canary-deployment",
          failureThreshold: "10%",
          progressDeadlineSeconds: 300,
          onFailure: "pause",
        });
      },
    ],
    [
      "a last step below 100%",
      (s) => {
        canary(s).steps = [
          { replicas: 1 },
          { replicas: 1, traffic: "20%" },
          { replicas: "30%", pause: { duration: "1h30m" } },
        ];
      },
    ],
  ];
  it.each(cases)("%s", (_name, mutate) => {
    const result = parseRollout(withSpec(mutate));
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("parseRollout refuses", () => {
  it("has at least 30 invalid documents", () => {
    expect(ROLLOUT_REJECTS.length).toBeGreaterThanOrEqual(30);
  });
  it.each(rows(ROLLOUT_REJECTS))("%s", (_name, mutate, path, message) => {
    const result = parseRollout(withSpec(mutate));
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
    expect(problems[0]?.message).toContain(message);
  });

  it("a wrong apiVersion", () => {
    const result = parseRollout({ ...validRollout(), apiVersion: "rollouts.slipway.dev/v1" });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "apiVersion", message: "apiVersion must be rollouts.slipway.dev/v1alpha1" },
    ]);
  });

  it("a name longer than 63 characters (it becomes a label value)", () => {
    const result = parseRollout({ ...validRollout(), metadata: { name: "a".repeat(64) } });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: "metadata.name", message: expect.stringContaining("at most 63 characters") },
    ]);
  });

  it("reports every problem of a document, not only the first", () => {
    const result = parseRollout(
      withSpec((s) => {
        s["workloadRef"].kind = "Job";
        canary(s).steps[0].replicas = "0%";
        canary(s).steps[1].pause.duration = "soon";
      }),
    );
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([
      "spec.workloadRef.kind",
      "spec.strategy.canary.steps[0].replicas",
      "spec.strategy.canary.steps[1].pause.duration",
    ]);
  });
});
