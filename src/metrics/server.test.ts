import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { KubeMetrics } from "../kube/metrics.ts";
import { informersSynced, leaderState, startMetricsServer, type MetricsServer } from "./server.ts";
import { SPEC_METRIC_NAMES, slipwayMetrics } from "./slipway-metrics.ts";

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function get(path: string, method = "GET"): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`${server?.url}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
}

/** The value of one sample line of the exposition text, e.g. `workqueue_adds_total{name="rollout",...}`. */
function sample(text: string, prefix: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("the metrics server", () => {
  it("serves every SPEC §7 metric on /metrics in Prometheus text format, and the values move", async () => {
    const registry = new Registry();
    const kube = new KubeMetrics(registry);
    const metrics = slipwayMetrics(registry);
    server = await startMetricsServer({ port: 0, registry });
    const queue = kube.workQueue("rollout");

    queue.add();
    queue.depth(1);
    queue.queueDuration(0.02);
    metrics.reconciled("rollout", "success", 0.05);
    metrics.reconciled("rollout", "error", 0.2);
    metrics.webhook.requests.inc({ webhook: "/mutate-workload", code: "200" });
    metrics.webhook.latency.observe({ webhook: "/mutate-workload" }, 0.003);
    metrics.rollout("shop", "web", "Progressing", 2);
    metrics.released("Succeeded", 420);
    metrics.measured("Successful");
    metrics.measured("Successful");
    metrics.measured("Failed");

    const first = await get("/metrics");
    expect(first.status).toBe(200);
    expect(first.type).toContain("text/plain");
    for (const name of SPEC_METRIC_NAMES) {
      expect(first.body, name).toContain(`# TYPE ${name} `);
    }
    const t = first.body;
    expect(sample(t, 'controller_runtime_reconcile_total{controller="rollout",result="success"}')).toBe(1);
    expect(sample(t, 'controller_runtime_reconcile_errors_total{controller="rollout"}')).toBe(1);
    expect(sample(t, 'workqueue_adds_total{name="rollout",controller="rollout"}')).toBe(1);
    expect(
      sample(t, 'slipway_rollout_info{namespace="shop",rollout="web",phase="Progressing",step="2"}'),
    ).toBe(1);
    expect(sample(t, 'slipway_analysis_measurements_total{result="Successful"}')).toBe(2);
    expect(sample(t, 'slipway_release_duration_seconds_bucket{le="600",outcome="Succeeded"}')).toBe(1);

    // A later scrape sees the values move; a phase change replaces the info series instead of adding one.
    queue.add();
    metrics.reconciled("rollout", "success", 0.01);
    metrics.rollout("shop", "web", "Paused", 2);
    const second = (await get("/metrics")).body;
    expect(sample(second, 'workqueue_adds_total{name="rollout",controller="rollout"}')).toBe(2);
    expect(sample(second, 'controller_runtime_reconcile_total{controller="rollout",result="success"}')).toBe(
      2,
    );
    expect(second).not.toContain('phase="Progressing"');
    expect(
      sample(second, 'slipway_rollout_info{namespace="shop",rollout="web",phase="Paused",step="2"}'),
    ).toBe(1);
    expect(await get("/healthz")).toMatchObject({ status: 200, body: "ok" });
    metrics.forget("shop", "web");
    expect((await get("/metrics")).body).not.toMatch(/^slipway_rollout_info\{/m);
  });

  it("asking twice for one registry's metrics gives the same objects (no duplicate registration)", () => {
    const registry = new Registry();
    expect(slipwayMetrics(registry)).toBe(slipwayMetrics(registry));
    expect(slipwayMetrics(new Registry())).not.toBe(slipwayMetrics(registry));
  });

  it("/readyz is 503 until the informers synced, then 200; ?verbose lists each check", async () => {
    const informers = [{ synced: true }, { synced: false }].map((s) => ({ ...s, hasSynced: () => s.synced }));
    let leading = false;
    server = await startMetricsServer({
      port: 0,
      registry: new Registry(),
      readiness: [informersSynced(informers), leaderState(() => leading)],
    });
    const before = await get("/readyz");
    expect(before.status).toBe(503);
    expect(before.body).toBe("[-]informers failed: 1/2 synced\n[+]leader ok: standby\nreadyz check failed\n");

    const second = informers[1];
    if (second) second.hasSynced = () => true;
    expect(await get("/readyz")).toMatchObject({ status: 200, body: "ok" });
    leading = true;
    expect((await get("/readyz?verbose")).body).toBe(
      "[+]informers ok: 2/2 synced\n[+]leader ok: leading\nreadyz check passed\n",
    );
  });

  it("leaderState can be required (only the leader is ready) for deployments without a webhook", async () => {
    server = await startMetricsServer({
      port: 0,
      registry: new Registry(),
      readiness: [leaderState(() => false, { required: true })],
    });
    expect((await get("/readyz")).status).toBe(503);
  });

  it("/healthz fails (503) when a check throws instead of crashing the server; 404 and 405 otherwise", async () => {
    server = await startMetricsServer({
      port: 0,
      registry: new Registry(),
      liveness: [
        {
          name: "watchdog",
          check: () => {
            throw new Error("boom");
          },
        },
      ],
    });
    const res = await get("/healthz");
    expect(res.status).toBe(503);
    expect(res.body).toContain("[-]watchdog failed: check failed: Error: boom");
    expect((await get("/healthz", "HEAD")).status).toBe(503);
    expect((await get("/nope")).status).toBe(404);
    expect((await get("/metrics", "POST")).status).toBe(405);
  });
});
