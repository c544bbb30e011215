// Admission webhook load benchmark. Not part of `npm test`. Run with:
//
//   npm exec -- node bench/webhook.bench.ts
//
// The webhook server runs alone in a child process (one event loop: "one core"), serving TLS on 127.0.0.1
// with a self-managed certificate and a Rollout in its cache. This process is an open-loop load
// generator (node https, keep-alive): it sends a realistic AdmissionReview — a Deployment image update
// that gets held, so every request takes the full path (parse, template diff, hold, JSON Patch) — at a
// fixed rate and records each latency. Prints and writes bench/results/webhook.json: achieved requests/s,
// p50/p99/max latency and the server's peak RSS at each rate, then the saturation throughput.
//
// Steady state, as the API server sees it: the keep-alive connections are opened once, before measuring
// (a full TLS handshake costs the server milliseconds; fresh connections per run put a handshake burst into
// every run's first ~100 ms). Every run reports the connections it had to open, so a hidden reconnect shows.
// Latency is timed from the actual send (`p50Ms`…) and from the request's slot in the schedule
// (`fromSchedule`, the coordinated-omission-safe view: a late generator cannot hide a stall);
// `senderLate` says how far behind schedule the generator itself ran. The server reports its own GC
// pauses and event-loop delay per run, to tell a slow server from a slow generator or a busy machine.
// BENCH_TRACE_GC=1 prints the server's V8 GC trace; BENCH_PROFILE=DIR writes its CPU profile.
// Numbers on a shared machine are noisy: compare ratios from one run, never assert them in a test.
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { cpus, loadavg } from "node:os";
import type { Duplex } from "node:stream";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import {
  createCertificateAuthority,
  createServingCertificate,
  servingHosts,
} from "../webhook/certs/generate.ts";
import { MemoryRolloutCache } from "../webhook/rollout-cache.ts";
import { createWebhookServer } from "../webhook/server.ts";
import { deployment, edited, podTemplate, rollout } from "../webhook/testing/fixtures.ts";
import { admissionReview } from "../webhook/testing/reviews.ts";

const RATES = [200, 1_000];
const WARMUP_MS = 2_000;
const MEASURE_MS = 10_000;
const SATURATION_MS = 5_000;
const CONNECTIONS = 8;

interface ServerReady {
  readonly port: number;
  readonly ca: string;
}

/** What the server saw during one run: its GC pauses and how late its event loop ran. */
interface ServerRunStats {
  readonly gcPauses: number;
  readonly gcPauseTotalMs: number;
  readonly gcPauseMaxMs: number;
  readonly eventLoopDelayP99Ms: number;
  readonly eventLoopDelayMaxMs: number;
}

type ControlMessage = "run-start" | "run-end";

/** Server side of the per-run statistics; the parent asks with "run-start" and "run-end" over IPC. */
function reportRunStats(): void {
  // A coarse tick keeps the probe's own wake-ups off the server; the histogram holds whole tick intervals.
  const tickMs = 10;
  const loopDelay = monitorEventLoopDelay({ resolution: tickMs });
  const lateBy = (ns: number) => round(Math.max(0, ns / 1e6 - tickMs));
  const pauses: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  }).observe({ entryTypes: ["gc"] });
  process.on("message", (message: ControlMessage) => {
    if (message === "run-start") {
      pauses.length = 0;
      loopDelay.reset();
      loopDelay.enable();
      return;
    }
    loopDelay.disable();
    process.send?.({
      gcPauses: pauses.length,
      gcPauseTotalMs: round(pauses.reduce((a, b) => a + b, 0)),
      gcPauseMaxMs: round(Math.max(0, ...pauses)),
      eventLoopDelayP99Ms: lateBy(loopDelay.percentile(99)),
      eventLoopDelayMaxMs: lateBy(loopDelay.max),
    } satisfies ServerRunStats);
  });
}

async function serve(): Promise<void> {
  const now = new Date();
  const ca = await createCertificateAuthority(now, 24 * 3600_000);
  const serving = await createServingCertificate(
    ca,
    servingHosts("slipway-webhook", "slipway-system", true),
    now,
    3600_000,
  );
  const cache = new MemoryRolloutCache();
  cache.upsert(rollout());
  cache.markSynced();
  const server = createWebhookServer({
    deps: {
      rollouts: cache,
      workloads: { read: async () => ({ found: false }) },
      templates: { read: async () => ({ found: false }) },
      now: () => new Date(),
    },
    tls: serving,
  });
  await server.app.listen({ host: "127.0.0.1", port: 0 });
  const address = server.app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  reportRunStats();
  process.send?.({ port, ca: ca.cert } satisfies ServerReady);
  process.on("disconnect", () => void server.app.close().then(() => process.exit(0)));
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kib / 1024) * 10) / 10;
}

/** CPU time the process has used, in ms (utime + stime from /proc, 100 ticks per second on Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) * 10;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

interface Percentiles {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = values.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

interface RunResult extends Percentiles {
  readonly targetRps: number | "max";
  readonly achievedRps: number;
  readonly requests: number;
  readonly errors: number;
  /** Latency from the request's slot in the schedule: includes any lateness of the generator. */
  readonly fromSchedule: Percentiles;
  /** How far behind schedule requests left (p99, max). */
  readonly senderLateP99Ms: number;
  readonly senderLateMaxMs: number;
  /** TLS connections opened during the run (0 in steady state). */
  readonly connectionsOpened: number;
  readonly server: ServerRunStats;
  readonly serverPeakRssMiB: number;
  /** Server CPU per answered request, and its share of one core during the run. */
  readonly serverCpuMsPerRequest: number;
  readonly serverCpuUtilization: number;
}

function makeBody(): string {
  const old = deployment("registry.example/shop/web:1.41.0");
  const next = edited(
    old,
    (o) =>
      ((o["spec"] as Record<string, unknown>)["template"] = podTemplate("registry.example/shop/web:1.42.0")),
  );
  return JSON.stringify(admissionReview("Deployment", old, next));
}

/** A keep-alive agent that counts the connections it opens. */
class CountingAgent extends Agent {
  opened = 0;
  override createConnection(
    options: Parameters<Agent["createConnection"]>[0],
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.opened += 1;
    return super.createConnection(options, callback);
  }
}

function send(agent: Agent, port: number, ca: string, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/mutate-workload",
        method: "POST",
        agent,
        ca,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(res.statusCode === 200 && text.includes('"patchType":"JSONPatch"')));
      },
    );
    req.on("error", () => resolve(false));
    req.end(body);
  });
}

interface Target {
  readonly port: number;
  readonly ca: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly agent: CountingAgent;
  readonly body: string;
}

function serverRunStats(child: ChildProcess, message: ControlMessage): Promise<ServerRunStats> {
  return new Promise((resolve) => {
    child.once("message", (m) => resolve(m as ServerRunStats));
    child.send(message);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Open loop: request i is due at start + i/rate and leaves then, whether or not earlier ones have
 * answered. `rate: "max"` is a closed loop at saturation instead: keep every connection busy.
 */
async function load(target: Target, rate: number | "max", durationMs: number): Promise<RunResult> {
  const { agent, child, pid } = target;
  const latencies: number[] = [];
  const fromSchedule: number[] = [];
  const late: number[] = [];
  let errors = 0;
  let peakRss = rssMiB(pid);
  let rssSampledAt = 0;
  const inFlight = new Set<Promise<void>>();
  const openedBefore = agent.opened;
  child.send("run-start" satisfies ControlMessage);
  const cpuBefore = cpuMs(pid);
  const start = performance.now();
  const end = start + durationMs;
  const fire = (due: number) => {
    const sentAt = performance.now();
    late.push(sentAt - due);
    const p = send(agent, target.port, target.ca, target.body).then((ok) => {
      const now = performance.now();
      latencies.push(now - sentAt);
      fromSchedule.push(now - due);
      if (!ok) errors += 1;
      inFlight.delete(p);
    });
    inFlight.add(p);
  };
  let due = start;
  for (let now = start; now < end; now = performance.now()) {
    if (rate === "max") {
      while (inFlight.size < CONNECTIONS * 4) fire(performance.now());
      await Promise.race(inFlight);
    } else {
      // setTimeout wakes late (≥ 1 ms, more on a busy machine): send everything due by now.
      for (; due <= now && due < end; due += 1000 / rate) fire(due);
      await sleep(1);
    }
    if (now - rssSampledAt >= 100) {
      peakRss = Math.max(peakRss, rssMiB(pid));
      rssSampledAt = now;
    }
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuMs(pid) - cpuBefore;
  const server = await serverRunStats(child, "run-end");
  peakRss = Math.max(peakRss, rssMiB(pid));
  const lateness = percentiles(late);
  return {
    targetRps: rate,
    achievedRps: Math.round(latencies.length / elapsed),
    requests: latencies.length,
    errors,
    ...percentiles(latencies),
    fromSchedule: percentiles(fromSchedule),
    senderLateP99Ms: lateness.p99Ms,
    senderLateMaxMs: lateness.maxMs,
    connectionsOpened: agent.opened - openedBefore,
    server,
    serverPeakRssMiB: peakRss,
    serverCpuMsPerRequest: round(cpu / Math.max(1, latencies.length)),
    serverCpuUtilization: Math.round((cpu / (elapsed * 1000)) * 100) / 100,
  };
}

/** Opens every connection (all at once, so the agent cannot reuse one) before anything is measured. */
async function openConnections(target: Target): Promise<void> {
  const answers = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => send(target.agent, target.port, target.ca, target.body)),
  );
  if (answers.includes(false)) throw new Error("the webhook server refused the warm-up requests");
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  // BENCH_PROFILE=DIR writes a CPU profile of the server process there (for finding hot spots).
  const profile = process.env["BENCH_PROFILE"];
  const execArgv = [
    ...process.execArgv,
    ...(profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profile}`]),
    ...(process.env["BENCH_TRACE_GC"] === "1" ? ["--trace-gc"] : []),
  ];
  const child = fork(new URL(import.meta.url).pathname, [], {
    env: { ...process.env, BENCH_ROLE: "server" },
    execArgv,
  });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    child.once("message", (m) => resolve(m as ServerReady));
    child.once("exit", (code) => reject(new Error(`the webhook server exited (${String(code)})`)));
  });
  const pid = child.pid ?? 0;
  // BENCH_PIN=1: the server on CPU 1 and this generator on CPU 0 (all threads), so "one core" is literal and
  // the two never compete for a CPU.
  const pinned = process.env["BENCH_PIN"] === "1" && cpus().length >= 2;
  if (pinned) {
    for (const [cpu, target] of [
      ["1", pid],
      ["0", process.pid],
    ] as const) {
      const r = spawnSync("taskset", ["-a", "-cp", cpu, String(target)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`taskset failed (${r.stderr.trim()}); unset BENCH_PIN`);
    }
  }
  const body = makeBody();
  const idleRss = rssMiB(pid);
  // One agent for the whole benchmark: its connections (and TLS sessions) outlive each run.
  const agent = new CountingAgent({ keepAlive: true, maxSockets: CONNECTIONS });
  const target: Target = { port: ready.port, ca: ready.ca, pid, child, agent, body };
  await openConnections(target);
  await load(target, 500, WARMUP_MS);
  const runs: RunResult[] = [];
  for (const rate of RATES) runs.push(await load(target, rate, MEASURE_MS));
  runs.push(await load(target, "max", SATURATION_MS));
  agent.destroy();
  child.disconnect();

  const result = {
    benchmark: "webhook",
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage1mAtStart: Math.round(loadAtStart * 100) / 100,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    request: { path: "/mutate-workload", bodyBytes: Buffer.byteLength(body), outcome: "held (JSONPatch)" },
    connections: CONNECTIONS,
    pinnedToSeparateCpus: pinned,
    measureSeconds: MEASURE_MS / 1000,
    serverIdleRssMiB: idleRss,
    runs,
  };
  console.log(
    `webhook over TLS on loopback, ${result.request.bodyBytes}-byte Deployment update, ${CONNECTIONS} keep-alive connections`,
  );
  console.log(
    `server RSS idle ${idleRss} MiB; load average ${result.loadAverage1mAtStart} → ${result.loadAverage1m} on ${result.cpus} CPUs`,
  );
  for (const r of runs) {
    const s = r.server;
    console.log(
      `target ${String(r.targetRps).padStart(5)} rps: achieved ${r.achievedRps} rps, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms (from schedule: p99 ${r.fromSchedule.p99Ms} ms, max ${r.fromSchedule.maxMs} ms; sender late p99 ${r.senderLateP99Ms} ms), errors ${r.errors}, connections opened ${r.connectionsOpened}`,
    );
    console.log(
      `      server: CPU ${r.serverCpuMsPerRequest} ms/request (${Math.round(r.serverCpuUtilization * 100)}% of a core), peak RSS ${r.serverPeakRssMiB} MiB, ${s.gcPauses} GC pauses (max ${s.gcPauseMaxMs} ms, total ${s.gcPauseTotalMs} ms), event-loop delay p99 ${s.eventLoopDelayP99Ms} ms, max ${s.eventLoopDelayMaxMs} ms`,
    );
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/webhook.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
}

if (process.env["BENCH_ROLE"] === "server") await serve();
else await main();
