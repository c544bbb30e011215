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
// Numbers on a shared machine are noisy: compare ratios from one run, never assert them in a test.
import { fork } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
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

interface RunResult {
  readonly targetRps: number | "max";
  readonly achievedRps: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
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

/** Open loop: requests leave on schedule whether or not earlier ones have answered. */
async function load(
  port: number,
  ca: string,
  pid: number,
  rate: number | "max",
  durationMs: number,
  body: string,
): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  let peakRss = rssMiB(pid);
  const inFlight = new Set<Promise<void>>();
  const cpuBefore = cpuMs(pid);
  const start = performance.now();
  const fire = () => {
    const t0 = performance.now();
    sent += 1;
    const p = send(agent, port, ca, body).then((ok) => {
      latencies.push(performance.now() - t0);
      if (!ok) errors += 1;
      inFlight.delete(p);
    });
    inFlight.add(p);
  };
  while (performance.now() - start < durationMs) {
    if (rate === "max") {
      // Closed loop at saturation: keep every connection busy.
      while (inFlight.size < CONNECTIONS * 4) fire();
      await Promise.race(inFlight);
    } else {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due) fire();
      await new Promise((r) => setTimeout(r, 1));
    }
    if (sent % 200 === 0) peakRss = Math.max(peakRss, rssMiB(pid));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuMs(pid) - cpuBefore;
  peakRss = Math.max(peakRss, rssMiB(pid));
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    targetRps: rate,
    achievedRps: Math.round(latencies.length / elapsed),
    requests: latencies.length,
    errors,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
    serverPeakRssMiB: peakRss,
    serverCpuMsPerRequest: round(cpu / Math.max(1, latencies.length)),
    serverCpuUtilization: Math.round((cpu / (elapsed * 1000)) * 100) / 100,
  };
}

async function main(): Promise<void> {
  // BENCH_PROFILE=DIR writes a CPU profile of the server process there (for finding hot spots).
  const profile = process.env["BENCH_PROFILE"];
  const child = fork(new URL(import.meta.url).pathname, [], {
    env: { ...process.env, BENCH_ROLE: "server" },
    ...(profile === undefined
      ? {}
      : { execArgv: [...process.execArgv, "--cpu-prof", `--cpu-prof-dir=${profile}`] }),
  });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    child.once("message", (m) => resolve(m as ServerReady));
    child.once("exit", (code) => reject(new Error(`the webhook server exited (${String(code)})`)));
  });
  const pid = child.pid ?? 0;
  const body = makeBody();
  const idleRss = rssMiB(pid);
  await load(ready.port, ready.ca, pid, 500, WARMUP_MS, body);
  const runs: RunResult[] = [];
  for (const rate of RATES) runs.push(await load(ready.port, ready.ca, pid, rate, MEASURE_MS, body));
  runs.push(await load(ready.port, ready.ca, pid, "max", SATURATION_MS, body));
  child.disconnect();

  const result = {
    benchmark: "webhook",
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    request: { path: "/mutate-workload", bodyBytes: Buffer.byteLength(body), outcome: "held (JSONPatch)" },
    connections: CONNECTIONS,
    measureSeconds: MEASURE_MS / 1000,
    serverIdleRssMiB: idleRss,
    runs,
  };
  console.log(
    `webhook over TLS on loopback, ${result.request.bodyBytes}-byte Deployment update, ${CONNECTIONS} keep-alive connections`,
  );
  console.log(`server RSS idle ${idleRss} MiB; load average ${result.loadAverage1m} on ${result.cpus} CPUs`);
  for (const r of runs) {
    console.log(
      `target ${String(r.targetRps).padStart(5)} rps: achieved ${r.achievedRps} rps, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms, errors ${r.errors}, server peak RSS ${r.serverPeakRssMiB} MiB, server CPU ${r.serverCpuMsPerRequest} ms/request (${Math.round(r.serverCpuUtilization * 100)}% of a core)`,
    );
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/webhook.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
}

if (process.env["BENCH_ROLE"] === "server") await serve();
else await main();
