// /readyz follows real informers on a real API server, and /metrics shows them working (the controller
// wires the same server; a scrape during a full release is part of the controller's e2e once merged).
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { Informer } from "../../src/kube/informer.ts";
import { KubeMetrics } from "../../src/kube/metrics.ts";
import { collectionPath, CONFIGMAPS, type KubeObject } from "../../src/kube/resources.ts";
import { informersSynced, startMetricsServer } from "../../src/metrics/server.ts";
import { admin } from "./cli/support.ts";
import { clients, done, notYet, waitFor, withNamespace } from "./lib/index.ts";

afterAll(async () => {
  await admin().kc.closeConnections();
});

describe("the metrics server on a real API server", () => {
  it("is unready until its informer listed, then ready; informer metrics move with real watch events", async () => {
    await withNamespace(async (ns) => {
      const registry = new Registry();
      const kube = new KubeMetrics(registry);
      const informer = new Informer<KubeObject>({
        transport: admin(),
        path: collectionPath(CONFIGMAPS, ns),
        metrics: kube.informer("configmaps"),
      });
      const server = await startMetricsServer({
        port: 0,
        registry,
        readiness: [informersSynced([informer])],
      });
      try {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
        informer.start();
        await waitFor("/readyz to pass", async () => {
          const res = await fetch(`${server.url}/readyz`);
          return res.status === 200 ? done(undefined) : notYet(await res.text());
        });
        const relists = async () =>
          /slipway_informer_relists_total\{resource="configmaps"\} (\d+)/.exec(
            await (await fetch(`${server.url}/metrics`)).text(),
          )?.[1];
        expect(await relists()).toBe("1");
        await clients().core.createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name: "poke" } },
        });
        await waitFor("the watch event to reach the store and the metric", async () => {
          const text = await (await fetch(`${server.url}/metrics`)).text();
          const seen = informer.store.getByName(ns, "poke") !== undefined;
          return seen &&
            /slipway_informer_last_watch_event_timestamp_seconds\{resource="configmaps"\} \d/.test(text)
            ? done(undefined)
            : notYet(text.slice(0, 200));
        });
      } finally {
        await informer.stop();
        await server.close();
      }
    });
  });
});
