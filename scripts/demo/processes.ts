// Child processes of the demo (Prometheus, the Slipway controller), free loopback ports, and waiting for
// an HTTP endpoint to answer.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { ensurePrometheus } from "../ensure-prometheus.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const MAIN = join(ROOT, "src", "cli", "main.ts");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  readonly name: string;
  readonly log: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `command` with its output in `<dir>/<name>.log`; stop() sends SIGTERM, then SIGKILL after 10 s. */
export function startChild(name: string, command: string, args: readonly string[], dir: string): Child {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, "w");
  const child = spawn(command, [...args], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    log,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once GET `url` answers 200; rejects after `timeoutMs` or when `child` exits. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== undefined && child.process.exitCode !== null) {
      throw new Error(`${child.name} exited (code ${child.process.exitCode}); see ${child.log}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `${url} did not answer within ${timeoutMs / 1000}s${child ? `; see ${child.log}` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export const PROMETHEUS = "/usr/bin/prometheus";

/** Prometheus on loopback scraping the demo app and the controller every second. */
export function startPrometheus(
  dir: string,
  port: number,
  targets: { app: number; controller: number },
): Child {
  ensurePrometheus(PROMETHEUS);
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      `  - { job_name: demo-app, static_configs: [{ targets: ["127.0.0.1:${targets.app}"] }] }`,
      `  - { job_name: slipway, static_configs: [{ targets: ["127.0.0.1:${targets.controller}"] }] }`,
      "",
    ].join("\n"),
  );
  return startChild(
    "prometheus",
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "prometheus-data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    dir,
  );
}

/**
 * Whether this checkout has what the demo needs: `slipway controller` (the reconciler and webhook), nginx
 * traffic routing and Prometheus analysis. Returns what is missing, in words.
 */
export function missingPieces(): string[] {
  const missing: string[] = [];
  const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" });
  if (!/^\s+controller\b/m.test(help.stdout))
    missing.push("the `slipway controller` command (src/rollout, webhook/)");
  if (!existsSync(join(ROOT, "src", "traffic")))
    missing.push("traffic routing (src/traffic: nginx canary Ingress)");
  if (!existsSync(join(ROOT, "src", "analysis"))) missing.push("analysis (src/analysis: Prometheus gates)");
  return missing;
}
