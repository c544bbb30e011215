// The demo app's metrics, simulated on loopback: every second, 200 requests are spread over the pods the
// way nginx would route them (read from the cluster through informers: pods, Services, the canary Ingress),
// and counted in http_requests_total{service, pod_template_hash, version, status}. Version v3 answers 30%
// of its requests with 500s. Prometheus scrapes this like it would scrape the real app.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeClient } from "../../src/kube/client.ts";
import { Informer } from "../../src/kube/informer.ts";
import {
  collectionPath,
  PODS,
  SERVICES,
  type KubeObject,
  type ResourceRef,
} from "../../src/kube/resources.ts";
import { APP, NAMESPACE } from "./manifests.ts";
import { spread, successRatio, type Revision, type Routing } from "./traffic-sim.ts";

const INGRESSES: ResourceRef = {
  group: "networking.k8s.io",
  version: "v1",
  plural: "ingresses",
  namespaced: true,
};
const REQUESTS_PER_SECOND = 200;
const HASH = "pod-template-hash";

interface Pod extends KubeObject {
  readonly spec?: { readonly containers?: readonly { readonly image?: string }[] };
  readonly status?: { readonly conditions?: readonly { readonly type?: string; readonly status?: string }[] };
}
interface Service extends KubeObject {
  readonly spec?: { readonly selector?: Readonly<Record<string, string>> };
}

export interface AppExporter {
  readonly port: number;
  stop(): Promise<void>;
}

function revisions(pods: readonly Pod[]): Revision[] {
  const byHash = new Map<string, { version: string; ready: number }>();
  for (const pod of pods) {
    const hash = pod.metadata?.labels?.[HASH];
    if (hash === undefined || pod.metadata?.deletionTimestamp !== undefined) continue;
    const version = pod.spec?.containers?.[0]?.image?.split(":").at(-1) ?? "unknown";
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    const entry = byHash.get(hash) ?? { version, ready: 0 };
    byHash.set(hash, { version, ready: entry.ready + (ready ? 1 : 0) });
  }
  return [...byHash].map(([hash, r]) => ({ hash, version: r.version, readyPods: r.ready }));
}

export async function startAppExporter(client: KubeClient, port: number): Promise<AppExporter> {
  const informer = <T extends KubeObject>(resource: ResourceRef) =>
    new Informer<T>({ transport: client, path: collectionPath(resource, NAMESPACE) });
  const pods = informer<Pod>(PODS);
  const services = informer<Service>(SERVICES);
  const ingresses = informer<KubeObject>(INGRESSES);
  for (const i of [pods, services, ingresses]) i.start();
  await Promise.all([pods, services, ingresses].map((i) => i.waitForSync()));

  const routing = (): Routing => {
    const canaryIngress = ingresses.store.getByName(NAMESPACE, `${APP}-canary`);
    const weight = Number(
      canaryIngress?.metadata?.annotations?.["nginx.ingress.kubernetes.io/canary-weight"] ?? 0,
    );
    return {
      stableHash: services.store.getByName(NAMESPACE, APP)?.spec?.selector?.[HASH],
      canaryHash: services.store.getByName(NAMESPACE, `${APP}-canary`)?.spec?.selector?.[HASH],
      canaryWeight: canaryIngress === undefined || Number.isNaN(weight) ? 0 : weight,
    };
  };

  // Counters keyed by labels; fractions carry over so the ratios are exact over time.
  const counts = new Map<string, { labels: string; value: number }>();
  const add = (labels: string, amount: number) => {
    const entry = counts.get(labels) ?? { labels, value: 0 };
    entry.value += amount;
    counts.set(labels, entry);
  };
  const tick = setInterval(() => {
    const revs = revisions(pods.store.list());
    for (const [hash, requests] of spread(REQUESTS_PER_SECOND, revs, routing())) {
      const version = revs.find((r) => r.hash === hash)?.version ?? "unknown";
      const ok = requests * successRatio(version);
      const base = `service="${APP}",pod_template_hash="${hash}",version="${version}"`;
      add(`${base},status="200"`, ok);
      add(`${base},status="500"`, requests - ok);
    }
  }, 1000);

  const server: Server = createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    const lines = [
      "# HELP http_requests_total Requests served by the demo app (simulated).",
      "# TYPE http_requests_total counter",
      ...[...counts.values()].map((c) => `http_requests_total{${c.labels}} ${Math.floor(c.value)}`),
    ];
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      clearInterval(tick);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([pods, services, ingresses].map((i) => i.stop()));
    },
  };
}
