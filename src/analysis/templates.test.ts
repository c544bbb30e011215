import { describe, expect, it } from "vitest";
import { API_VERSION } from "../api/names.ts";
import { prometheusProvider, resolveHeaders, type SecretSource } from "./provider.ts";
import type { PrometheusRequest } from "./prometheus.ts";
import { resolveTemplates, type AnalysisScope, type TemplateSource } from "./templates.ts";

const scope: AnalysisScope = {
  rollout: { name: "web", namespace: "shop" },
  canaryRevision: "c1",
  stableRevision: "s1",
  clusterSecretNamespace: "slipway-system",
};

function template(
  name: string,
  spec: Record<string, unknown>,
  kind = "AnalysisTemplate",
): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind, metadata: { name, namespace: "shop" }, spec };
}

const successRate = template("success-rate", {
  args: [{ name: "service" }, { name: "threshold", value: "0.99" }],
  metrics: [
    {
      name: "success-rate",
      interval: "10s",
      count: 3,
      successCondition: "result[0] >= double(args.threshold)",
      provider: {
        prometheus: {
          address: "http://prometheus:9090",
          query: 'sum(x{service="{{args.service}}",rev="{{canary.revision}}",ns="{{rollout.namespace}}"})',
          headers: [{ name: "Authorization", valueFrom: { secretKeyRef: { name: "prom", key: "token" } } }],
        },
      },
    },
  ],
});

function source(
  namespaced: Record<string, unknown> = {},
  cluster: Record<string, unknown> = {},
): TemplateSource {
  return {
    analysisTemplate: (ns, name) => (ns === "shop" ? namespaced[name] : undefined),
    clusterAnalysisTemplate: (name) => cluster[name],
  };
}

describe("resolveTemplates", () => {
  it("merges defaults with the Rollout's args, substitutes the query and applies metric defaults", async () => {
    const resolved = await resolveTemplates(
      [{ name: "success-rate" }],
      [{ name: "service", value: "checkout" }],
      scope,
      source({ "success-rate": successRate }),
    );
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    const [m] = resolved.metrics;
    expect(m?.key).toBe("success-rate/success-rate");
    expect(m?.query).toBe('sum(x{service="checkout",rev="c1",ns="shop"})');
    expect(m?.variables.args).toEqual({ service: "checkout", threshold: "0.99" });
    expect(m?.metric).toMatchObject({
      intervalSeconds: 10,
      count: 3,
      initialDelaySeconds: 0,
      failureLimit: 0,
      consecutiveErrorLimit: 4,
      noData: "Inconclusive",
      onError: "Inconclusive",
    });
    expect(m?.metric.prometheus.timeoutSeconds).toBe(10);
    expect(m?.secretNamespace).toBe("shop");
  });

  it("lets the Rollout override a default and ignores args the template does not declare", async () => {
    const resolved = await resolveTemplates(
      [{ name: "success-rate" }],
      [
        { name: "service", value: "a" },
        { name: "threshold", value: "0.5" },
        { name: "other", value: "x" },
      ],
      scope,
      source({ "success-rate": successRate }),
    );
    expect(resolved.ok && resolved.metrics[0]?.variables.args).toEqual({ service: "a", threshold: "0.5" });
  });

  it("reports every missing argument with the fix", async () => {
    const t = template("t", {
      ...(successRate["spec"] as object),
      args: [{ name: "service" }, { name: "zone" }, { name: "threshold", value: "1" }],
    });
    const resolved = await resolveTemplates([{ name: "t" }], [], scope, source({ t }));
    expect(resolved).toEqual({
      ok: false,
      problem:
        'AnalysisTemplate shop/t needs arguments "service", "zone" without a default: add {name: service, value: ...}, ' +
        "{name: zone, value: ...} to the Rollout's analysis.args, or a value to the template's spec.args",
    });
  });

  it("reports a missing template, hinting at clusterScope", async () => {
    expect(await resolveTemplates([{ name: "nope" }], [], scope, source())).toEqual({
      ok: false,
      problem:
        "AnalysisTemplate shop/nope does not exist: create it (or set clusterScope: true for a ClusterAnalysisTemplate)",
    });
  });

  it("resolves a ClusterAnalysisTemplate (object without apiVersion/kind) with Secrets in Slipway's namespace", async () => {
    const {
      apiVersion: _a,
      kind: _k,
      ...bare
    } = template("global", successRate["spec"] as Record<string, unknown>);
    const resolved = await resolveTemplates(
      [{ name: "global", clusterScope: true }],
      [{ name: "service", value: "web" }],
      scope,
      source({}, { global: { ...bare, metadata: { name: "global" } } }),
    );
    expect(resolved.ok && resolved.metrics[0]?.secretNamespace).toBe("slipway-system");
  });

  it("reports an invalid template with its problems", async () => {
    const bad = template("bad", {
      metrics: [
        {
          name: "m",
          successCondition: "result[0] >",
          provider: { prometheus: { address: "x", query: "up" } },
        },
      ],
    });
    const resolved = await resolveTemplates([{ name: "bad" }], [], scope, source({ bad }));
    expect(resolved).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^AnalysisTemplate shop\/bad is invalid: spec\.metrics\[0\]/),
    });
  });

  it("reports a query placeholder the template does not declare (a template stored before admission checked it)", async () => {
    const t = template("t", {
      metrics: [
        {
          name: "m",
          successCondition: "true",
          provider: { prometheus: { address: "http://p:9090", query: 'x{a="{{args.svc}}"}' } },
        },
      ],
    });
    expect(
      await resolveTemplates([{ name: "t" }], [{ name: "svc", value: "v" }], scope, source({ t })),
    ).toMatchObject({
      ok: false,
      problem: expect.stringContaining(
        "AnalysisTemplate shop/t is invalid: spec.metrics[0].provider.prometheus.query: uses {{args.svc}}, which the template does not declare: declare it in spec.args",
      ),
    });
  });

  it("refuses the same template twice", async () => {
    const resolved = await resolveTemplates(
      [{ name: "success-rate" }, { name: "success-rate" }],
      [{ name: "service", value: "a" }],
      scope,
      source({ "success-rate": successRate }),
    );
    expect(resolved).toEqual({
      ok: false,
      problem: "template success-rate is referenced twice: list it once",
    });
  });
});

describe("headers from Secrets", () => {
  const secrets: SecretSource = {
    secretValue: (ns, name, key) =>
      ns === "shop" && name === "prom" && key === "token" ? "Bearer abc\n" : undefined,
  };

  it("reads Secret values at measurement time (a trailing newline is dropped)", async () => {
    const seen: PrometheusRequest[] = [];
    const provider = prometheusProvider({
      secrets,
      query: (r) => {
        seen.push(r);
        return Promise.resolve({ ok: false, error: "stop" });
      },
    });
    const resolved = await resolveTemplates(
      [{ name: "success-rate" }],
      [{ name: "service", value: "web" }],
      scope,
      source({ "success-rate": successRate }),
    );
    if (!resolved.ok || resolved.metrics[0] === undefined) throw new Error("not resolved");
    await provider.measure(resolved.metrics[0]);
    expect(seen[0]?.headers).toEqual([{ name: "Authorization", value: "Bearer abc" }]);
    expect(seen[0]?.query).toBe('sum(x{service="web",rev="c1",ns="shop"})');
  });

  it.each([
    [
      "an absent Secret",
      { name: "nope", key: "token" },
      'Secret shop/nope or its key "token" does not exist: create it',
    ],
    ["an absent key", { name: "prom", key: "nope" }, "does not exist"],
  ])("reports %s", async (_n, ref, message) => {
    const out = await resolveHeaders(
      [{ name: "Authorization", valueFrom: { secretKeyRef: ref } }],
      "shop",
      secrets,
    );
    expect(out).toMatchObject({ ok: false, error: expect.stringContaining(message) });
  });

  it("refuses a value with an inner line break without echoing it", async () => {
    const out = await resolveHeaders(
      [{ name: "A", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
      "shop",
      {
        secretValue: () => "abc\r\nX-Evil: 1",
      },
    );
    expect(out).toEqual({
      ok: false,
      error: 'header A: key "k" of Secret shop/s contains a line break: remove it',
    });
  });

  it("says so when the controller has no Secret access", async () => {
    const out = await resolveHeaders(
      [{ name: "A", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
      "shop",
      undefined,
    );
    expect(out).toMatchObject({ ok: false, error: expect.stringContaining("without Secret access") });
  });
});
