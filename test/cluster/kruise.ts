// OpenKruise's controller manager as an addon of the local control plane: started only on request
// (`cluster:up --with-kruise`, or `ensureKruise()` from a test), out of cluster, on loopback.
// See docs/decisions/kruise-local.md for the choices (webhook by URL, feature gates, CRDs, identity).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { addonHealthUrl } from "./components.ts";
import type { ComponentCommand } from "./components.ts";
import { clusterPaths, loadConfig } from "./config.ts";
import type { ClusterConfig, ClusterPaths } from "./config.ts";
import { httpGet, httpsRequest } from "./http.ts";
import type { TlsIdentity } from "./http.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import {
  KRUISE_NAMESPACE,
  KRUISE_USER,
  KRUISE_WEBHOOK_CONFIGURATIONS,
  installKruiseResources,
} from "./kruise-resources.ts";
import { adminTls, ensurePortFree, processState, runningCluster } from "./lifecycle.ts";
import { tailFile } from "./logs.ts";
import { issueCert } from "./pki.ts";
import { readPidFile, startDetached, stopProcess } from "./processes.ts";
import { done, notYet, waitFor } from "./wait.ts";

const here = dirname(fileURLToPath(import.meta.url));
const NAME = "kruise-manager";
const loopback = "127.0.0.1";
type Log = (line: string) => void;

export interface KruiseBuild {
  readonly binary: string;
  /** The kruise module in GOMODCACHE: config/crd/bases, config/rbac and config/webhook are read from it. */
  readonly moduleDir: string;
  readonly version: string;
}

export interface KruiseInfo extends KruiseBuild {
  readonly pid: number;
  readonly webhookUrl: string;
  readonly logFile: string;
  /** Seconds from process start to a webhook the API server reaches; 0 when it was already running. */
  readonly startSeconds: number;
}

/**
 * Runs build-kruise.sh (instant when the binary is cached). Asynchronous: a cold build takes many minutes,
 * and a test worker's event loop must keep running meanwhile.
 */
export async function buildKruise(log: Log): Promise<KruiseBuild> {
  const child = spawn("bash", [join(here, "build-kruise.sh")], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const [binDir = "", moduleDir = ""] = stdout.trim().split("\n").slice(-2);
  const binary = join(binDir, NAME);
  if (code !== 0 || !existsSync(join(binDir, ".complete")) || !existsSync(moduleDir)) {
    throw new Error(`test/cluster/build-kruise.sh failed (exit ${code}); read its output above`);
  }
  const version = readFileSync(join(binDir, ".version"), "utf8").trim();
  log(`kruise-manager ${version}: ${binary}`);
  return { binary, moduleDir, version };
}

export function kruiseCommand(binary: string, cfg: ClusterConfig, paths: ClusterPaths): ComponentCommand {
  const ports = cfg.kruisePorts;
  return {
    binary,
    args: [
      "--enable-leader-election=false",
      `--metrics-addr=${loopback}:${ports.metrics}`,
      `--health-probe-addr=${loopback}:${ports.health}`,
      "--enable-pprof=false",
      // No kruise-daemon runs on kwok nodes, and a pod webhook would put every pod creation of every
      // test behind kruise (failurePolicy Fail). CloneSet needs neither; SetDefaultFeatureGates turns
      // off the gates that depend on these two.
      "--feature-gates=KruiseDaemon=false,PodWebhook=false",
      `--protection-log-path=${paths.certDir(NAME)}`,
    ],
    env: {
      KUBECONFIG: paths.kubeconfig(NAME),
      POD_NAMESPACE: KRUISE_NAMESPACE,
      // With WEBHOOK_HOST set, kruise writes its self-signed certificates (SAN = the host) to
      // WEBHOOK_CERT_DIR and rewrites its webhook configurations (and CRD conversion) to
      // url: https://WEBHOOK_HOST:WEBHOOK_PORT/<path> instead of a Service.
      WEBHOOK_HOST: loopback,
      WEBHOOK_PORT: String(ports.webhook),
      WEBHOOK_CERT_DIR: paths.certDir(NAME),
    },
  };
}

function writeKruiseKubeconfig(paths: ClusterPaths, server: string): void {
  const ca = { certPem: readFileSync(paths.caCert, "utf8"), keyPem: readFileSync(paths.caKey, "utf8") };
  const pair = issueCert(ca, { commonName: KRUISE_USER, usage: "client" });
  writeFileSync(
    paths.kubeconfig(NAME),
    renderKubeconfig(server, ca.certPem, KRUISE_USER, { kind: "client-cert", ...pair }),
    { mode: 0o600 },
  );
}

async function isReady(cfg: ClusterConfig): Promise<boolean> {
  return httpGet(addonHealthUrl(NAME, cfg)).then(
    (r) => r.status === 200,
    () => false,
  );
}

interface WebhookView {
  readonly name: string;
  readonly clientConfig: { readonly url?: string; readonly service?: unknown };
}

/** Waits until kruise served its CloneSet webhooks by URL and the API server calls them (dry-run create). */
async function waitForWebhookPath(server: string, tls: TlsIdentity, cfg: ClusterConfig): Promise<string> {
  const expected = `https://${loopback}:${cfg.kruisePorts.webhook}/`;
  const url = await waitFor(
    "kruise-manager's CloneSet webhook registered by URL",
    async () => {
      const res = await httpsRequest(
        `${server}/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${KRUISE_WEBHOOK_CONFIGURATIONS.mutating}`,
        tls,
      );
      const hooks = (JSON.parse(res.body) as { webhooks?: WebhookView[] }).webhooks ?? [];
      const clone = hooks.find((w) => w.name === "mcloneset.kb.io");
      const hookUrl = clone?.clientConfig.url;
      return hookUrl?.startsWith(expected) ? done(hookUrl) : notYet(clone?.clientConfig ?? res.status);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  // The mutating webhook defaults the update strategy; seeing it proves the API server reached kruise.
  await waitFor(
    "a dry-run CloneSet defaulted by kruise's webhook",
    async () => {
      const probe = {
        apiVersion: "apps.kruise.io/v1alpha1",
        kind: "CloneSet",
        metadata: { name: "webhook-probe", namespace: KRUISE_NAMESPACE },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: "webhook-probe" } },
          template: {
            metadata: { labels: { app: "webhook-probe" } },
            spec: { containers: [{ name: "c", image: "probe" }] },
          },
        },
      };
      const res = await httpsRequest(
        `${server}/apis/apps.kruise.io/v1alpha1/namespaces/${KRUISE_NAMESPACE}/clonesets?dryRun=All`,
        tls,
        "POST",
        probe,
      );
      const type = (JSON.parse(res.body) as { spec?: { updateStrategy?: { type?: string } } }).spec
        ?.updateStrategy?.type;
      return res.status === 201 && type !== undefined ? done(type) : notYet(`HTTP ${res.status} ${res.body}`);
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  return url;
}

/**
 * Starts kruise-manager against the running local cluster unless it already runs and is ready.
 * Builds it first (cached after the first time). Throws when no local cluster is running.
 */
export async function ensureKruise(log: Log = console.error): Promise<KruiseInfo> {
  const cluster = await runningCluster();
  if (cluster === undefined)
    throw new Error(
      "no healthy local cluster is running; start one with: npm run cluster:up -- --with-kruise",
    );
  const cfg = loadConfig();
  const paths = clusterPaths(cfg.stateDir);
  const tls = adminTls(paths);
  const build = await buildKruise(log);
  const record = readPidFile(paths.pidFile(NAME));
  if (record !== undefined && processState(NAME, paths) === "running" && (await isReady(cfg))) {
    const webhookUrl = await waitForWebhookPath(cluster.server, tls, cfg);
    return { ...build, pid: record.pid, webhookUrl, logFile: paths.logFile(NAME), startSeconds: 0 };
  }
  // A crashed or unready leftover: replace it.
  await stopProcess(paths.pidFile(NAME));
  const portEnv = {
    webhook: "SLIPWAY_KRUISE_WEBHOOK_PORT",
    health: "SLIPWAY_KRUISE_HEALTH_PORT",
    metrics: "SLIPWAY_KRUISE_METRICS_PORT",
  } as const;
  for (const [key, envName] of Object.entries(portEnv))
    await ensurePortFree(cfg.kruisePorts[key as keyof typeof portEnv], envName);

  await installKruiseResources(cluster.server, tls, build.moduleDir);
  mkdirSync(paths.certDir(NAME), { recursive: true });
  writeKruiseKubeconfig(paths, cluster.server);
  const t0 = Date.now();
  const started = startDetached({
    ...kruiseCommand(build.binary, cfg, paths),
    logFile: paths.logFile(NAME),
    pidFile: paths.pidFile(NAME),
  });
  log(`kruise-manager: pid ${started.pid}, log ${paths.logFile(NAME)}`);
  try {
    const alive = await waitFor(
      `kruise-manager ready (${addonHealthUrl(NAME, cfg)})`,
      async () => {
        // done(false) ends the wait at once when the process died instead of waiting out the timeout.
        if (processState(NAME, paths) !== "running") return done(false);
        return (await isReady(cfg)) ? done(true) : notYet("readyz not 200");
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    if (!alive) throw new Error("kruise-manager exited");
    const webhookUrl = await waitForWebhookPath(cluster.server, tls, cfg);
    const startSeconds = (Date.now() - t0) / 1000;
    log(`kruise-manager ready in ${startSeconds.toFixed(1)}s; webhooks at ${webhookUrl}`);
    return { ...build, pid: started.pid, webhookUrl, logFile: paths.logFile(NAME), startSeconds };
  } catch (err) {
    log(`===== ${paths.logFile(NAME)} (last 40 lines) =====\n${tailFile(paths.logFile(NAME), 40)}`);
    await stopProcess(paths.pidFile(NAME));
    throw new Error(`kruise-manager did not start: ${(err as Error).message}; see ${paths.logFile(NAME)}`, {
      cause: err,
    });
  }
}
