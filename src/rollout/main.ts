// Wiring of a running controller process: client, caches, leader election, workers, the webhook, metrics.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createKubeClient, type KubeClient } from "../kube/client.ts";
import { isAlreadyExists, isNotFound } from "../kube/errors.ts";
import { EventRecorder } from "../kube/events.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { KubeMetrics } from "../kube/metrics.ts";
import { CLONESETS, collectionPath, groupVersionPath, NAMESPACES, objectPath } from "../kube/resources.ts";
import { RolloutController } from "./controller.ts";

export interface StartControllerOptions {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly slipwayNamespace: string;
  readonly leaderElect: boolean;
  readonly leaderElectionId: string;
  /** 0 picks a free port; the chosen one is logged ("metrics serving"). */
  readonly metricsPort: number;
  readonly webhook?: {
    readonly local: boolean;
    readonly port: number;
    readonly service: string;
    readonly certDir?: string;
  };
  readonly workers: number;
  readonly logger: Logger;
}

export interface RunningController {
  /** Resolves when this process stops reconciling for good (leadership lost). */
  readonly done: Promise<void>;
  readonly metricsPort: number;
  readonly webhookUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startController(o: StartControllerOptions): Promise<RunningController> {
  const log = o.logger;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const kubeMetrics = new KubeMetrics(registry);
  const { client } = createKubeClient(
    {
      ...(o.kubeconfig === undefined ? {} : { kubeconfig: o.kubeconfig }),
      ...(o.context === undefined ? {} : { context: o.context }),
    },
    { userAgent: "slipway-controller/0.1.0" },
  );
  const recorder = new EventRecorder({ transport: client, logger: log.child({ component: "events" }) });
  const cloneSets = await servesCloneSets(client);
  const controller = new RolloutController({
    client,
    ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
    logger: log,
    registry,
    kubeMetrics,
    recorder,
    workers: o.workers,
    cloneSets,
  });

  const metrics = await serveMetrics(registry, o.metricsPort, o.webhook?.local !== false);
  const metricsPort = (metrics.address() as AddressInfo).port;
  log.info({ port: metricsPort }, "metrics serving");

  let webhook: { stop(): Promise<void>; url: string } | undefined;
  if (o.webhook !== undefined) {
    const { runWebhook } = await import("../../webhook/run.ts");
    webhook = await runWebhook({
      local: o.webhook.local,
      port: o.webhook.port,
      namespace: o.slipwayNamespace,
      service: o.webhook.service,
      ...(o.kubeconfig === undefined ? {} : { kubeconfig: o.kubeconfig }),
      ...(o.context === undefined ? {} : { context: o.context }),
      ...(o.webhook.certDir === undefined ? {} : { certDir: o.webhook.certDir }),
      drainDelayMs: o.webhook.local ? 0 : 5_000,
      logger: log.child({ component: "webhook" }),
      metrics: registry,
    });
  }

  await controller.startInformers();
  const stopWork = new AbortController();
  let done: Promise<void>;
  let elector: LeaderElector | undefined;
  if (o.leaderElect) {
    await ensureNamespace(client, o.slipwayNamespace);
    let lost: () => void = () => {};
    done = new Promise((resolve) => (lost = resolve));
    let working: Promise<void> | undefined;
    elector = new LeaderElector({
      transport: client,
      namespace: o.slipwayNamespace,
      name: o.leaderElectionId,
      logger: log.child({ component: "leader-election" }),
      metrics: kubeMetrics.leaderElection(o.leaderElectionId),
      onStartedLeading: (signal) => {
        working = controller.run(AbortSignal.any([signal, stopWork.signal]));
      },
      onStoppedLeading: () => {
        void (working ?? Promise.resolve()).finally(lost);
      },
    });
    void elector.start();
  } else {
    done = new Promise<void>(() => {});
    void controller.run(stopWork.signal);
  }
  log.info(
    {
      namespace: o.namespace ?? "(all)",
      leaderElect: o.leaderElect,
      webhook: webhook?.url ?? "(not in this process)",
      cloneSets,
    },
    "slipway controller started",
  );

  return {
    done,
    metricsPort,
    webhookUrl: webhook?.url,
    async stop() {
      stopWork.abort();
      await elector?.stop();
      await controller.stop();
      await webhook?.stop();
      await recorder.flush();
      await new Promise<void>((resolve) => metrics.close(() => resolve()));
      await client.kc.closeConnections();
    },
  };
}

async function serveMetrics(registry: Registry, port: number, loopback: boolean): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === "/metrics") {
      registry
        .metrics()
        .then((text) => response.writeHead(200, { "Content-Type": registry.contentType }).end(text))
        .catch((err: unknown) => response.writeHead(500).end(String(err)));
      return;
    }
    if (request.url === "/healthz" || request.url === "/readyz")
      return void response.writeHead(200).end("ok");
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, loopback ? "127.0.0.1" : "0.0.0.0", () => resolve());
  });
  return server;
}

/**
 * Whether the API server serves OpenKruise CloneSets (checked once at start: a CRD installed later needs a
 * restart). Without them, Rollouts of CloneSets report the workload as missing.
 */
async function servesCloneSets(client: KubeClient): Promise<boolean> {
  try {
    const list = await client.request<{ resources?: readonly { name: string }[] }>({
      method: "GET",
      path: groupVersionPath(CLONESETS),
    });
    return list.resources?.some((r) => r.name === CLONESETS.plural) === true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** The Lease lives in Slipway's namespace; on a fresh local cluster nothing created it yet. */
async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.request({ method: "GET", path: objectPath(NAMESPACES, name) });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await client.request({
        method: "POST",
        path: collectionPath(NAMESPACES),
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
      });
    } catch (createErr) {
      if (!isAlreadyExists(createErr)) throw createErr;
    }
  }
}
