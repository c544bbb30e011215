// Parts 1 and 2 of the benchmark: release lanes side by side under one controller, then reaction latency
// and writes per step, both read from the audit log of that window.
import type { KubeClient } from "../../src/kube/client.ts";
import { isController, type AuditLog } from "./audit.ts";
import { startBenchController } from "./cluster.ts";
import { counters, work, type Work } from "./metrics.ts";
import { reactionsIn, summarize, type Reaction, type ReactionSummary } from "./reactions.ts";
import { LANE_REPLICAS, LANE_STEPS, runLane, setUpLanes } from "./releases.ts";
import type { RolloutWatch } from "./rollouts.ts";
import {
  cpuSeconds,
  distribution,
  LoadSampler,
  memory,
  round1,
  sleep,
  type Distribution,
  type LoadSummary,
  type Memory,
} from "./stats.ts";
import {
  perStep,
  totals,
  wastedSummary,
  writesPerRelease,
  type ReleaseWrites,
  type StepWrites,
} from "./writes.ts";

export interface LanesResult {
  readonly lanes: number;
  readonly releasesPerLane: number;
  readonly wallSeconds: number;
  readonly loadAverage: LoadSummary;
  readonly controllerCpuSeconds: number;
  readonly controllerMemory: Memory;
  readonly work: Work;
  /** How long the API server took to complete the controller's writes (its audit stamps). */
  readonly apiWriteLatency: Distribution;
  readonly releaseDuration: Distribution;
  readonly approve: ReactionSummary;
  readonly batchReady: ReactionSummary & { readonly byTransition: Record<string, ReactionSummary> };
  readonly templateChange: ReactionSummary;
  readonly samples: readonly Reaction[];
  readonly writes: {
    readonly releases: number;
    readonly perStep: readonly StepWrites[];
    readonly totalPerRelease: ReturnType<typeof totals>;
    readonly countOnlyStatusWritesPerRelease: ReturnType<typeof totals>;
    readonly leaseWritesPerMinute: number;
    readonly wasted: ReturnType<typeof wastedSummary>;
    readonly firstRelease: ReleaseWrites | undefined;
  };
}

const PAUSE_STEPS = new Set(LANE_STEPS.flatMap((step, i) => ("pause" in step ? [i + 1] : [])));

export async function runLanes(
  client: KubeClient,
  watch: RolloutWatch,
  audit: AuditLog,
  lanes: number,
  releasesPerLane: number,
  log: (line: string) => void,
): Promise<LanesResult> {
  const controller = await startBenchController("bench-lanes");
  try {
    const namespaces = await setUpLanes(client, watch, lanes);
    log(`${lanes} lanes attached (${LANE_REPLICAS}-replica Deployments); ${releasesPerLane} releases each`);
    await sleep(2_000);
    audit.mark();
    const load = new LoadSampler();
    const cpuBefore = cpuSeconds(controller.pid);
    const countersBefore = await counters(controller);
    const started = performance.now();
    const durations = await Promise.all(
      namespaces.map(async (ns, i) => {
        await sleep(i * 2_000);
        const seconds = await runLane(client, watch, ns, releasesPerLane, i + 1);
        log(`${ns}: ${seconds.length} releases done`);
        return seconds;
      }),
    );
    const wallSeconds = round1((performance.now() - started) / 1000);
    const controllerCpuSeconds = round1(cpuSeconds(controller.pid) - cpuBefore);
    const loadAverage = load.stop();
    const controllerMemory = memory(controller.pid);
    const reconcileWork = work(countersBefore, await counters(controller));
    const events = await audit.settle();

    const samples = namespaces.flatMap((ns) => reactionsIn(events, ns, PAUSE_STEPS));
    const of = (kind: Reaction["kind"]) => samples.filter((r) => r.kind === kind);
    const ready = of("batch-ready");
    const byTransition: Record<string, ReactionSummary> = {};
    for (const t of [...new Set(ready.map((r) => r.transition ?? ""))].sort())
      byTransition[t] = summarize(ready.filter((r) => r.transition === t));

    const releases = namespaces.flatMap((ns) => writesPerRelease(events, ns));
    const leases = events.filter((e) => isController(e) && e.resource === "leases").length;
    return {
      lanes,
      releasesPerLane,
      wallSeconds,
      loadAverage,
      controllerCpuSeconds,
      controllerMemory,
      work: reconcileWork,
      apiWriteLatency: distribution(
        events.filter(isController).map((e) => (e.completedUs - e.receivedUs) / 1000),
      ),
      releaseDuration: distribution(durations.flat().map((s) => s * 1000)),
      approve: summarize(of("approve")),
      batchReady: { ...summarize(ready), byTransition },
      templateChange: summarize(of("template-change")),
      samples,
      writes: {
        releases: releases.length,
        perStep: perStep(releases),
        totalPerRelease: totals(releases),
        countOnlyStatusWritesPerRelease: totals(releases, (r) => r.countOnlyStatusWrites),
        leaseWritesPerMinute: round1(leases / (wallSeconds / 60)),
        wasted: wastedSummary(releases),
        firstRelease: releases[0],
      },
    };
  } finally {
    await controller.kill("SIGTERM");
  }
}
