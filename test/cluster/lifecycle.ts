// up / down / status of the local control plane.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  registerNodes,
  serverVersion,
  waitForDefaultServiceAccount,
  waitForSchedulableNodes,
} from "./bootstrap.ts";
import { addonHealthUrl, componentCommand, healthUrl } from "./components.ts";
import { ADDONS, COMPONENTS, TEST_USERS, clusterPaths, loadConfig } from "./config.ts";
import type { Addon, ClusterConfig, ClusterInfo, ClusterPaths, Component } from "./config.ts";
import { writeCredentials } from "./credentials.ts";
import { httpGet, httpsRequest } from "./http.ts";
import type { TlsIdentity } from "./http.ts";
import { renderKwokStages } from "./kwok-stages.ts";
import { componentLogTails } from "./logs.ts";
import { isRunning, readPidFile, startDetached, stopProcess } from "./processes.ts";
import { done, notYet, waitFor } from "./wait.ts";

const here = dirname(fileURLToPath(import.meta.url));
type Log = (line: string) => void;

/** Runs build.sh (cached: instant when the binaries exist) and returns the binary directory. */
export function buildBinaries(log: Log): string {
  // An explicit directory of prebuilt binaries skips the build entirely.
  const preset = process.env["SLIPWAY_BIN_DIR"];
  if (preset) {
    const missing = COMPONENTS.filter((c) => !existsSync(join(preset, c)));
    if (missing.length > 0)
      throw new Error(`SLIPWAY_BIN_DIR=${preset} lacks ${missing.join(", ")}; unset it to build them`);
    return preset;
  }
  const result = spawnSync("bash", [join(here, "build.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const binDir = result.stdout.trim().split("\n").at(-1) ?? "";
  if (result.status !== 0 || !existsSync(join(binDir, ".complete"))) {
    throw new Error(
      `test/cluster/build.sh failed (exit ${result.status}); read its output above and fix the Go build`,
    );
  }
  log(`binaries: ${binDir}`);
  return binDir;
}

export function adminTls(paths: ClusterPaths): TlsIdentity {
  const admin = paths.pem("admin");
  return {
    ca: readFileSync(paths.caCert, "utf8"),
    cert: readFileSync(admin.cert, "utf8"),
    key: readFileSync(admin.key, "utf8"),
  };
}

async function probeHealth(component: Component, cfg: ClusterConfig, paths: ClusterPaths): Promise<string> {
  const url = healthUrl(component, cfg);
  if (url === undefined) return "ok";
  const res = url.startsWith("http:")
    ? await httpGet(url)
    : await httpsRequest(
        url,
        component === "kube-apiserver" ? adminTls(paths) : { insecure: true },
        "GET",
        undefined,
        2_000,
      );
  return res.status === 200 ? "ok" : `HTTP ${res.status}: ${res.body.slice(0, 500)}`;
}

export function processState(component: Component | Addon, paths: ClusterPaths): "running" | "stopped" {
  const record = readPidFile(paths.pidFile(component));
  return record !== undefined && isRunning(record) ? "running" : "stopped";
}

async function waitHealthy(
  component: Component,
  cfg: ClusterConfig,
  paths: ClusterPaths,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    `${component} healthy (${healthUrl(component, cfg) ?? "process alive"})`,
    async () => {
      // Fail fast instead of waiting out the timeout when the process already died.
      if (processState(component, paths) !== "running")
        throw new Error(`${component} exited; see ${paths.logFile(component)}`);
      const health = await probeHealth(component, cfg, paths);
      return health === "ok" ? done(undefined) : notYet(health);
    },
    { timeoutMs, intervalMs: 250 },
  );
}

export function ensurePortFree(port: number, envName: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", () =>
      reject(
        new Error(
          `port 127.0.0.1:${port} is in use; stop its owner or pick another port with ${envName}=<port>`,
        ),
      ),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

/** The running cluster's info when every process is alive and the API server is ready; else undefined. */
export async function runningCluster(): Promise<ClusterInfo | undefined> {
  const cfg = loadConfig();
  const paths = clusterPaths(cfg.stateDir);
  if (!existsSync(paths.info)) return undefined;
  if (COMPONENTS.some((c) => processState(c, paths) !== "running")) return undefined;
  try {
    if ((await probeHealth("kube-apiserver", cfg, paths)) !== "ok") return undefined;
  } catch {
    return undefined;
  }
  return JSON.parse(readFileSync(paths.info, "utf8")) as ClusterInfo;
}

async function stopAll(paths: ClusterPaths, log: Log): Promise<void> {
  // Reverse start order: addons and clients before the API server, the API server before etcd.
  for (const component of [...COMPONENTS, ...ADDONS].reverse()) {
    const outcome = await stopProcess(paths.pidFile(component));
    if (outcome !== "not-running") log(`${component}: ${outcome}`);
  }
}

export async function down(log: Log = console.log): Promise<void> {
  const paths = clusterPaths(loadConfig().stateDir);
  if (existsSync(paths.pids)) await stopAll(paths, log);
  rmSync(paths.stateDir, { recursive: true, force: true });
  log(`cluster stopped; removed ${paths.stateDir}`);
}

async function startAll(cfg: ClusterConfig, paths: ClusterPaths, binDir: string, log: Log): Promise<string> {
  const server = `https://127.0.0.1:${cfg.ports.apiserver}`;
  const start = (component: Component): void => {
    mkdirSync(paths.certDir(component), { recursive: true });
    const cmd = componentCommand(component, binDir, cfg, paths);
    const record = startDetached({
      ...cmd,
      logFile: paths.logFile(component),
      pidFile: paths.pidFile(component),
    });
    log(`${component}: pid ${record.pid}, log ${paths.logFile(component)}`);
  };
  start("etcd");
  await waitHealthy("etcd", cfg, paths, 30_000);
  start("kube-apiserver");
  await waitHealthy("kube-apiserver", cfg, paths, 120_000);
  start("kube-controller-manager");
  start("kube-scheduler");
  start("kwok");
  const tls = adminTls(paths);
  await registerNodes(server, tls, cfg.nodeCount);
  await waitHealthy("kube-controller-manager", cfg, paths, 60_000);
  await waitHealthy("kube-scheduler", cfg, paths, 60_000);
  await waitForSchedulableNodes(server, tls, cfg);
  await waitForDefaultServiceAccount(server, tls);
  if (processState("kwok", paths) !== "running") throw new Error(`kwok exited; see ${paths.logFile("kwok")}`);
  return server;
}

/** Starts the cluster unless a healthy one is running. Returns its description. */
export async function up(log: Log = console.log): Promise<ClusterInfo> {
  const cfg = loadConfig();
  const paths = clusterPaths(cfg.stateDir);
  const existing = await runningCluster();
  if (existing !== undefined) {
    log(`cluster already running at ${existing.server} (state ${paths.stateDir})`);
    return existing;
  }
  const binDir = buildBinaries(log);
  // Leftovers of a crashed or half-started cluster: stop what still runs, start clean.
  if (existsSync(paths.stateDir)) {
    log(`cleaning up a stopped or unhealthy cluster in ${paths.stateDir}`);
    await down(log);
  }
  const portEnv = {
    etcdClient: "SLIPWAY_ETCD_PORT",
    etcdPeer: "SLIPWAY_ETCD_PEER_PORT",
    apiserver: "SLIPWAY_APISERVER_PORT",
    controllerManager: "SLIPWAY_KCM_PORT",
    scheduler: "SLIPWAY_SCHEDULER_PORT",
  } as const;
  for (const [key, envName] of Object.entries(portEnv)) {
    await ensurePortFree(cfg.ports[key as keyof typeof portEnv], envName);
  }
  for (const dir of [paths.stateDir, paths.logs, paths.pids, paths.kwokHome])
    mkdirSync(dir, { recursive: true });
  writeCredentials(cfg, paths, `https://127.0.0.1:${cfg.ports.apiserver}`);
  writeFileSync(paths.kwokStages, renderKwokStages(cfg));

  let server: string;
  try {
    server = await startAll(cfg, paths, binDir, log);
  } catch (err) {
    log(componentLogTails(paths.stateDir, 40));
    await stopAll(paths, log);
    throw new Error(
      `cluster:up failed: ${(err as Error).message}\n(state and logs kept in ${paths.stateDir})`,
      { cause: err },
    );
  }
  const info: ClusterInfo = {
    server,
    kubernetesVersion: await serverVersion(server, adminTls(paths)),
    binDir,
    stateDir: paths.stateDir,
    adminKubeconfig: paths.kubeconfig("admin"),
    userKubeconfigs: Object.fromEntries(
      TEST_USERS.map((u) => [u, paths.kubeconfig(u)]),
    ) as ClusterInfo["userKubeconfigs"],
    ports: cfg.ports,
    logs: Object.fromEntries(COMPONENTS.map((c) => [c, paths.logFile(c)])) as ClusterInfo["logs"],
    ...(cfg.auditPolicy === undefined ? {} : { auditLog: paths.auditLog }),
    startedAt: new Date().toISOString(),
  };
  writeFileSync(paths.info, JSON.stringify(info, null, 2) + "\n");
  return info;
}

export async function status(): Promise<{ readonly healthy: boolean; readonly lines: readonly string[] }> {
  const cfg = loadConfig();
  const paths = clusterPaths(cfg.stateDir);
  const lines: string[] = [`state: ${paths.stateDir}${existsSync(paths.stateDir) ? "" : " (absent)"}`];
  let healthy = existsSync(paths.info);
  for (const component of COMPONENTS) {
    const state = processState(component, paths);
    let health = "-";
    if (state === "running") health = await probeHealth(component, cfg, paths).catch((e: Error) => e.message);
    if (state !== "running" || health !== "ok") healthy = false;
    const pid = readPidFile(paths.pidFile(component))?.pid;
    lines.push(`${component.padEnd(24)} ${state.padEnd(8)} pid=${pid ?? "-"} health=${health}`);
  }
  // An addon counts only once started (it has a pid file); then it must be running and ready.
  for (const addon of ADDONS) {
    const record = readPidFile(paths.pidFile(addon));
    if (record === undefined) continue;
    const state = processState(addon, paths);
    let health = "-";
    if (state === "running")
      health = await httpGet(addonHealthUrl(addon, cfg))
        .then((r) => (r.status === 200 ? "ok" : `HTTP ${r.status}: ${r.body.slice(0, 300)}`))
        .catch((e: Error) => e.message);
    if (state !== "running" || health !== "ok") healthy = false;
    lines.push(`${addon.padEnd(24)} ${state.padEnd(8)} pid=${record.pid} health=${health}`);
  }
  return { healthy, lines };
}
