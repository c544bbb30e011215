// Wiring of a running controller process: client, caches, leader election, workers, the webhook, metrics.
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createKubeClient, type KubeClient } from "../kube/client.ts";
import { isAlreadyExists, isNotFound } from "../kube/errors.ts";
import { EventRecorder } from "../kube/events.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { KubeMetrics } from "../kube/metrics.ts";
import { CLONESETS, collectionPath, groupVersionPath, NAMESPACES, objectPath } from "../kube/resources.ts";
import { informersSynced, leaderState, startMetricsServer, type HealthCheck } from "../metrics/server.ts";
import type { RunningWebhook } from "../../webhook/run.ts";
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
    slipwayNamespace: o.slipwayNamespace,
  });

  let webhook: RunningWebhook | undefined;
  let elector: LeaderElector | undefined;
  let stopping = false;
  // A standby replica is Ready (see leaderState): it serves the webhook and takes over within a lease.
  const readiness: HealthCheck[] = [
    { name: "shutdown", check: () => ({ ok: !stopping, detail: stopping ? "stopping" : "running" }) },
    informersSynced(controller.informers),
    leaderState(() => (o.leaderElect ? elector?.isLeader() === true : true)),
  ];
  if (o.webhook !== undefined) readiness.push(webhookReady(() => webhook));
  const metrics = await startMetricsServer({
    port: o.metricsPort,
    // In a pod the kubelet and Prometheus reach it from outside; anywhere else it stays on loopback.
    host: o.webhook?.local === false ? "0.0.0.0" : "127.0.0.1",
    registry,
    liveness: [{ name: "ping", check: () => ({ ok: true }) }],
    readiness,
  });
  const metricsPort = metrics.port;
  log.info({ port: metricsPort }, "metrics serving");

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
      stopping = true;
      stopWork.abort();
      await elector?.stop();
      await controller.stop();
      await webhook?.stop();
      await recorder.flush();
      await metrics.close();
      await client.kc.closeConnections();
    },
  };
}

/** The webhook in this process: ready once it listens with a certificate and its Rollout cache synced. */
function webhookReady(running: () => RunningWebhook | undefined): HealthCheck {
  return {
    name: "webhook",
    check: () => {
      const webhook = running();
      if (webhook === undefined) return { ok: false, detail: "starting" };
      const ready = webhook.server.isReady();
      return {
        ok: ready,
        detail: ready ? webhook.url : "not serving (no certificate, cache not synced, or draining)",
      };
    },
  };
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
