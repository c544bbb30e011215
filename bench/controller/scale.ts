// Part 3: the controller's memory and CPU with 1,000 idle attached Rollouts, then with 100 releases in
// flight. 1,000 one-pod Deployments across 10 namespaces exist first; a fresh controller starts; the
// Rollouts are server-side applied in parallel batches and the clock runs until all are attached and
// Healthy; then 100 of the Deployments get a new image, and their releases stop at a pause{}.
import type { KubeClient } from "../../src/kube/client.ts";
import { collectionPath, DEPLOYMENTS, type KubeList } from "../../src/kube/resources.ts";
import { category, isController, type AuditLog, type WriteCategory } from "./audit.ts";
import type { SlipwayProcess } from "../../test/e2e/rollout/controller-process.ts";
import { startBenchController } from "./cluster.ts";
import { counters, work, type Work } from "./metrics.ts";
import { applyAll, deploymentManifest, namespaceManifest, rolloutManifest, setImage } from "./kube.ts";
import { isHealthyAttached, type RolloutWatch } from "./rollouts.ts";
import { cpuSeconds, LoadSampler, memory, round1, sleep, type LoadSummary, type Memory } from "./stats.ts";

export const SCALE_STEPS = [{ replicas: 1, pause: {} }, { replicas: "100%" }] as const;
export const SCALE_NAMESPACES = 10;
const SETTLE_MS = 10_000;
const NAMESPACES = SCALE_NAMESPACES;

export interface ScaleOptions {
  readonly rollouts: number;
  readonly inFlight: number;
  readonly idleSeconds: number;
}

export interface Snapshot {
  readonly seconds: number;
  readonly controllerCpuSeconds: number;
  readonly memory: Memory;
  readonly loadAverage: LoadSummary;
  /** Reconciles the phase cost (from the controller's metrics). */
  readonly work: Work;
  /** Controller writes in the phase, per Rollout involved, by category. */
  readonly writesPerRollout?: Partial<Record<WriteCategory, number>>;
}

export interface ScaleResult {
  readonly rollouts: number;
  readonly inFlight: number;
  readonly deploymentsReadySeconds: number;
  readonly controllerStarted: Memory;
  /** Of attach.seconds: how long the benchmark took to server-side apply all the Rollouts. */
  readonly rolloutsAppliedSeconds: number;
  readonly attach: Snapshot;
  readonly idle: Snapshot;
  readonly startReleases: Snapshot;
  readonly inFlightIdle: Snapshot;
}

export const scaleNamespace = (i: number) => `bench-scale-${i}`;
const appName = (j: number) => `app-${j}`;

function names(total: number): { namespace: string; name: string }[] {
  return Array.from({ length: total }, (_, k) => ({
    namespace: scaleNamespace(k % NAMESPACES),
    name: appName(Math.floor(k / NAMESPACES)),
  }));
}

async function deploymentsAvailable(client: KubeClient, total: number): Promise<void> {
  for (;;) {
    let available = 0;
    for (let i = 0; i < NAMESPACES; i++) {
      const list = await client.request<
        KubeList<{ status?: { availableReplicas?: number } } & KubeList["items"][number]>
      >({
        method: "GET",
        path: collectionPath(DEPLOYMENTS, scaleNamespace(i)),
      });
      available += list.items.filter((d) => d.status?.availableReplicas === 1).length;
    }
    if (available >= total) return;
    await sleep(2_000);
  }
}

function writesPer(events: ReturnType<AuditLog["read"]>, count: number) {
  const out: Partial<Record<WriteCategory, number>> = {};
  for (const e of events) {
    if (!isController(e) || !e.namespace.startsWith("bench-scale-")) continue;
    const c = category(e);
    out[c] = (out[c] ?? 0) + 1;
  }
  for (const key of Object.keys(out) as WriteCategory[])
    out[key] = Math.round(((out[key] ?? 0) / count) * 100) / 100;
  return out;
}

/** Measures one phase: wall time, the controller's CPU seconds, reconciles and memory, the load average. */
async function phase(controller: SlipwayProcess, run: () => Promise<void>): Promise<Snapshot> {
  const load = new LoadSampler();
  const cpu = cpuSeconds(controller.pid);
  const before = await counters(controller);
  const started = performance.now();
  await run();
  return {
    seconds: round1((performance.now() - started) / 1000),
    controllerCpuSeconds: round1(cpuSeconds(controller.pid) - cpu),
    memory: memory(controller.pid),
    loadAverage: load.stop(),
    work: work(before, await counters(controller)),
  };
}

export async function runScale(
  client: KubeClient,
  watch: RolloutWatch,
  audit: AuditLog,
  o: ScaleOptions,
  log: (line: string) => void,
): Promise<ScaleResult> {
  const all = names(o.rollouts);
  const created = performance.now();
  await applyAll(
    client,
    Array.from({ length: NAMESPACES }, (_, i) => namespaceManifest(scaleNamespace(i))),
  );
  await applyAll(
    client,
    all.map((w) => deploymentManifest(w.namespace, w.name, 1, "example/app:v1")),
  );
  await deploymentsAvailable(client, o.rollouts);
  const deploymentsReadySeconds = round1((performance.now() - created) / 1000);
  log(`${o.rollouts} one-pod Deployments available after ${deploymentsReadySeconds} s`);

  const controller = await startBenchController("bench-scale");
  try {
    await sleep(5_000);
    const controllerStarted = memory(controller.pid);
    const inScale = () => watch.list().filter((r) => r.metadata?.namespace?.startsWith("bench-scale-"));
    audit.mark();
    let rolloutsAppliedSeconds = 0;
    const attach = await phase(controller, async () => {
      const applying = performance.now();
      await applyAll(
        client,
        all.map((w) => rolloutManifest(w.namespace, w.name, SCALE_STEPS)),
      );
      rolloutsAppliedSeconds = round1((performance.now() - applying) / 1000);
      await watch.until(
        `all ${o.rollouts} Rollouts attached and Healthy`,
        () =>
          inScale().filter((r) => r.status !== undefined && isHealthyAttached(r.status)).length ===
          o.rollouts,
        600_000,
      );
    });
    const attachWrites = writesPer(await audit.settle(500), o.rollouts);
    log(`attached ${o.rollouts} Rollouts in ${attach.seconds} s; controller RSS ${attach.memory.rssMiB} MiB`);

    // The last Rollouts' Healthy status is seen before the last ReplicaSet and Event updates settle: let
    // those pass, so the idle window holds only what an idle controller does by itself.
    await sleep(SETTLE_MS);
    const idle = await phase(controller, () => sleep(o.idleSeconds * 1000));
    log(`idle ${o.idleSeconds} s: RSS ${idle.memory.rssMiB} MiB, CPU ${idle.controllerCpuSeconds} s`);

    const released = all.slice(0, o.inFlight);
    audit.mark();
    const startReleases = await phase(controller, async () => {
      let next = 0;
      const worker = async () => {
        while (next < released.length) {
          const w = released[next++]!;
          await setImage(client, w.namespace, w.name, "example/app:v2");
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const paused = new Set(released.map((w) => `${w.namespace}/${w.name}`));
      await watch.until(
        `${o.inFlight} releases paused at step 1`,
        () =>
          inScale().filter(
            (r) =>
              paused.has(`${r.metadata?.namespace}/${r.metadata?.name}`) &&
              r.status?.currentStepIndex === 1 &&
              r.status.currentStepState === "Paused",
          ).length === o.inFlight,
        600_000,
      );
    });
    const releaseWrites = writesPer(await audit.settle(500), o.inFlight);
    log(
      `${o.inFlight} releases in flight after ${startReleases.seconds} s; RSS ${startReleases.memory.rssMiB} MiB`,
    );
    await sleep(SETTLE_MS);
    const inFlightIdle = await phase(controller, () => sleep(o.idleSeconds * 1000));
    return {
      rollouts: o.rollouts,
      inFlight: o.inFlight,
      deploymentsReadySeconds,
      controllerStarted,
      rolloutsAppliedSeconds,
      attach: { ...attach, writesPerRollout: attachWrites },
      idle,
      startReleases: { ...startReleases, writesPerRollout: releaseWrites },
      inFlightIdle,
    };
  } finally {
    await controller.kill("SIGTERM");
  }
}
