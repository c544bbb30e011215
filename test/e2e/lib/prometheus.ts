// A real Prometheus for e2e tests: Debian's `prometheus` binary on a free loopback port, with its own temp
// data dir and a config scraping the given loopback targets every second. `stop()`/`start()` simulate an
// outage (same port and data dir, so the series survive); `close()` stops it and deletes the data dir.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePrometheus } from "../../../scripts/ensure-prometheus.ts";

export const PROMETHEUS_BINARY = process.env["SLIPWAY_PROMETHEUS"] ?? "/usr/bin/prometheus";

export interface PrometheusOptions {
  /** `127.0.0.1:PORT` targets to scrape. */
  readonly targets: readonly string[];
  /** Default "1s". */
  readonly scrapeInterval?: string;
  /** Log every query the engine runs (`global.query_log_file`), read back with `loggedQueries()`. */
  readonly queryLog?: boolean;
}

export interface PrometheusServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** True between a successful start() and stop(). */
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and deletes its data dir. */
  close(): Promise<void>;
  /** An instant query straight to the HTTP API (for test setup and control experiments). */
  query(promql: string): Promise<{ readonly labels: Record<string, string>; readonly value: number }[]>;
  /** The last lines of its log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** The text of every query run so far, oldest first (empty unless started with `queryLog`). */
  loggedQueries(): Promise<string[]>;
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  ensurePrometheus(PROMETHEUS_BINARY);
  const dataDir = await mkdtemp(join(tmpdir(), "slipway-prometheus-"));
  const port = await freeLoopbackPort();
  const interval = options.scrapeInterval ?? "1s";
  const queryLogFile = join(dataDir, "queries.log");
  const config = [
    "global:",
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(options.queryLog === true ? [`  query_log_file: ${JSON.stringify(queryLogFile)}`] : []),
    "scrape_configs:",
    "  - job_name: exporter",
    `    scrape_interval: ${interval}`,
    `    scrape_timeout: ${interval}`,
    "    static_configs:",
    `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
  const configFile = join(dataDir, "prometheus.yml");
  const logFile = join(dataDir, "prometheus.log");
  await writeFile(configFile, config);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const server: PrometheusServer = {
    url,
    port,
    dataDir,
    running: () => child !== undefined,
    async start() {
      if (child !== undefined) return;
      const log = openSync(logFile, "a");
      const proc = spawn(
        PROMETHEUS_BINARY,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dataDir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--storage.tsdb.retention.time=1h",
          "--web.console.templates=",
          "--web.console.libraries=",
        ],
        { stdio: ["ignore", log, log] },
      );
      closeSync(log);
      child = proc;
      proc.once("exit", () => {
        if (child === proc) child = undefined;
      });
      await waitReady(url, proc, () => server.logTail());
    },
    async stop() {
      const proc = child;
      if (proc === undefined) return;
      child = undefined;
      await stopProcess(proc);
    },
    async close() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query`, {
        method: "POST",
        body: new URLSearchParams({ query: promql }),
      });
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: unknown };
      };
      if (body.status !== "success" || body.data === undefined)
        throw new Error(`query ${promql} failed: ${body.error ?? res.status}`);
      if (body.data.resultType === "scalar") {
        const [, v] = body.data.result as [number, string];
        return [{ labels: {}, value: Number(v) }];
      }
      const series = body.data.result as { metric: Record<string, string>; value: [number, string] }[];
      return series.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
    },
    async loggedQueries() {
      const text = await readFile(queryLogFile, "utf8").catch(() => "");
      return text.split("\n").flatMap((line) => {
        try {
          const query = (JSON.parse(line) as { params?: { query?: unknown } }).params?.query;
          return typeof query === "string" ? [query] : [];
        } catch {
          return []; // a line still being written
        }
      });
    },
    async logTail(lines = 20) {
      const text = await readFile(logFile, "utf8").catch(() => "");
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    },
  };
  try {
    await server.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

async function waitReady(url: string, proc: ChildProcess, logTail: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(
        `prometheus exited (${proc.exitCode ?? proc.signalCode}) while starting:\n${await logTail()}`,
      );
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`prometheus at ${url} was not ready within 30s:\n${await logTail()}`);
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  proc.kill("SIGTERM");
  const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) {
    proc.kill("SIGKILL");
    await exited;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
