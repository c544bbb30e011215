// Controller benchmark (issue 6, "Measure"). Not part of `npm test`. Run with:
//
//   npm run bench:controller          (BENCH_LANES, BENCH_RELEASES, BENCH_ROLLOUTS, BENCH_IN_FLIGHT override)
//
// Against the real local control plane (test/cluster, started here with an API server audit policy unless
// an audited one runs) and a real `slipway controller` child process:
// 1. reaction latency — approve → first workload write, last pod of a batch Ready → the next step's first
//    workload write — measured on the API server's own clock from its audit log (bench/controller/reactions.ts);
// 2. the controller's API writes per step of a `1 / 30% pause{} / 60% / 100%` release of a 10-replica
//    Deployment, by category, with the writes that changed nothing (bench/controller/writes.ts);
// 3. controller RSS and CPU with 1,000 idle attached Rollouts and with 100 releases in flight
//    (bench/controller/scale.ts).
// Prints the figures and writes bench/results/controller.json. docs/benchmarks.md explains the method.
// Numbers on a shared machine are noisy: compare within one run, never assert them in a test.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { AuditLog } from "./controller/audit.ts";
import { cleanUp } from "./controller/cleanup.ts";
import { auditedCluster, stopCluster } from "./controller/cluster.ts";
import { benchClient } from "./controller/kube.ts";
import { runLanes, type LanesResult } from "./controller/lanes.ts";
import { LANE_REPLICAS, LANE_STEPS, laneNamespace } from "./controller/releases.ts";
import { RolloutWatch } from "./controller/rollouts.ts";
import {
  runScale,
  SCALE_NAMESPACES,
  SCALE_STEPS,
  scaleNamespace,
  type ScaleResult,
} from "./controller/scale.ts";
import { formatDistribution } from "./controller/stats.ts";
import { installCrds } from "../test/e2e/rollout/fixtures.ts";

const TARGET_P99_MS = 100;

function intFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name}=${process.env[name]}: use a whole number >= 1`);
  return value;
}

function printLanes(r: LanesResult): void {
  console.log(
    `\n== Reaction latency (${r.lanes} lanes x ${r.releasesPerLane} releases, ${r.wallSeconds} s) ==`,
  );
  console.log(
    `load average (1 min) during the run: min ${r.loadAverage.min1m}, mean ${r.loadAverage.mean1m}, max ${r.loadAverage.max1m} on ${cpus().length} CPUs; controller CPU ${r.controllerCpuSeconds} s`,
  );
  console.log(
    `controller: ${r.work.reconciles} reconciles (mean ${r.work.meanReconcileMs} ms), ${r.work.requeues} requeues; RSS ${r.controllerMemory.rssMiB} MiB (peak ${r.controllerMemory.hwmMiB} MiB)`,
  );
  console.log(`API server time per controller write:     ${formatDistribution(r.apiWriteLatency)}`);
  console.log(`approve -> first controller write:        ${formatDistribution(r.approve.toFirstWrite)}`);
  console.log(
    `approve -> first workload write:          ${formatDistribution(r.approve.toFirstWorkloadWrite)}`,
  );
  console.log(
    `  of which in the controller's Rollout writes: ${formatDistribution(r.approve.inRolloutWrites)}`,
  );
  console.log(
    `  first write after the last other write:  ${formatDistribution(r.approve.firstWriteSinceLastInput)}`,
  );
  console.log(`batch ready -> next step's status write:  ${formatDistribution(r.batchReady.toFirstWrite)}`);
  console.log(
    `  after the last other write (${Object.entries(r.batchReady.lastInputs)
      .map(([k, n]) => `${n}x ${k}`)
      .join(", ")}): ${formatDistribution(r.batchReady.firstWriteSinceLastInput)}`,
  );
  console.log(
    `batch ready -> next step's workload write: ${formatDistribution(r.batchReady.toFirstWorkloadWrite)}`,
  );
  console.log(
    `  of which in the controller's Rollout writes: ${formatDistribution(r.batchReady.inRolloutWrites)}`,
  );
  for (const [t, s] of Object.entries(r.batchReady.byTransition))
    console.log(`  ${t.padEnd(9)} workload write: ${formatDistribution(s.toFirstWorkloadWrite)}`);
  console.log(
    `set image -> first workload write (hold): ${formatDistribution(r.templateChange.toFirstWorkloadWrite)}`,
  );
  const met = (p99: number) => (p99 < TARGET_P99_MS ? "met" : "NOT met");
  console.log(
    `target p99 < ${TARGET_P99_MS} ms to the first workload write: approve ${met(r.approve.toFirstWorkloadWrite.p99Ms)}, batch ready ${met(r.batchReady.toFirstWorkloadWrite.p99Ms)}`,
  );
  console.log(
    `\n== API writes per step (${r.writes.releases} releases of a ${LANE_REPLICAS}-replica Deployment) ==`,
  );
  for (const s of r.writes.perStep) {
    const parts = Object.entries(s.median).map(([c, n]) => `${c} ${n}`);
    console.log(
      `${s.step.padEnd(7)} median ${s.medianTotal} [${s.minTotal}-${s.maxTotal}]: ${parts.join(", ")}`,
    );
  }
  const t = r.writes.totalPerRelease;
  const c = r.writes.countOnlyStatusWritesPerRelease;
  console.log(
    `per release: median ${t.median} [${t.min}-${t.max}]; Lease renewals ${r.writes.leaseWritesPerMinute}/min`,
  );
  console.log(
    `status writes that only update a pod count, per release: median ${c.median} [${c.min}-${c.max}]`,
  );
  for (const w of r.writes.wasted)
    console.log(`wasted: ${w.count}x ${w.kind} ${w.write} in ${w.step} (e.g. ${w.example})`);
}

function printScale(s: ScaleResult): void {
  console.log(`\n== ${s.rollouts} Rollouts (one-pod Deployments), ${s.inFlight} releases in flight ==`);
  console.log(`controller started, no Rollouts yet: RSS ${s.controllerStarted.rssMiB} MiB`);
  const line = (what: string, p: ScaleResult["attach"]) =>
    console.log(
      `${what.padEnd(30)} ${String(p.seconds).padStart(6)} s, controller CPU ${p.controllerCpuSeconds} s, RSS ${p.memory.rssMiB} MiB (peak ${p.memory.hwmMiB} MiB), load ${p.loadAverage.mean1m}, ${p.work.reconciles} reconciles (mean ${p.work.meanReconcileMs} ms)` +
        (p.writesPerRollout === undefined
          ? ""
          : `, writes per Rollout ${JSON.stringify(p.writesPerRollout)}`),
    );
  line(`attach all ${s.rollouts}`, s.attach);
  console.log(
    `  (the benchmark's server-side applies of the ${s.rollouts} Rollouts took ${s.rolloutsAppliedSeconds} s of it)`,
  );
  line(`idle with ${s.rollouts} attached`, s.idle);
  line(`start ${s.inFlight} releases to a pause`, s.startReleases);
  line(`idle with ${s.inFlight} in flight`, s.inFlightIdle);
}

async function main(): Promise<void> {
  const lanes = intFromEnv("BENCH_LANES", 3);
  const releases = intFromEnv("BENCH_RELEASES", 10);
  const rollouts = intFromEnv("BENCH_ROLLOUTS", 1_000);
  const inFlight = intFromEnv("BENCH_IN_FLIGHT", 100);
  const log = (line: string) => console.error(`[bench] ${line}`);
  const cluster = await auditedCluster((line) => console.error(`[cluster] ${line}`));
  await installCrds();
  const client = benchClient(cluster.kubeconfig);
  const watch = new RolloutWatch(client);
  await watch.start();
  const audit = new AuditLog(cluster.auditLog);
  const startedAt = new Date().toISOString();
  try {
    const lanesResult = await runLanes(client, watch, audit, lanes, releases, log);
    printLanes(lanesResult);
    const scale = await runScale(client, watch, audit, { rollouts, inFlight, idleSeconds: 20 }, log);
    printScale(scale);
    const result = {
      benchmark: "controller",
      date: startedAt,
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "",
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      targetP99Ms: TARGET_P99_MS,
      reaction: {
        lanes: lanesResult.lanes,
        releasesPerLane: lanesResult.releasesPerLane,
        steps: LANE_STEPS,
        replicas: LANE_REPLICAS,
        wallSeconds: lanesResult.wallSeconds,
        loadAverage: lanesResult.loadAverage,
        controllerCpuSeconds: lanesResult.controllerCpuSeconds,
        controllerMemory: lanesResult.controllerMemory,
        work: lanesResult.work,
        apiWriteLatency: lanesResult.apiWriteLatency,
        releaseDuration: lanesResult.releaseDuration,
        approve: lanesResult.approve,
        batchReady: lanesResult.batchReady,
        templateChange: lanesResult.templateChange,
        samples: lanesResult.samples,
      },
      writes: lanesResult.writes,
      scale: { steps: SCALE_STEPS, ...scale },
    };
    mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
    writeFileSync(
      new URL("./results/controller.json", import.meta.url),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    log("wrote bench/results/controller.json");
  } finally {
    await watch.stop();
    if (!(await stopCluster(cluster, (line) => console.error(`[cluster] ${line}`)))) {
      const namespaces = [
        ...Array.from({ length: lanes }, (_, i) => laneNamespace(i)),
        ...Array.from({ length: SCALE_NAMESPACES }, (_, i) => scaleNamespace(i)),
      ];
      const cleaner = new RolloutWatch(client);
      await cleaner.start();
      await cleanUp(client, cleaner, namespaces);
      await cleaner.stop();
    }
    await client.kc.closeConnections();
  }
}

await main();
