// Lanes of releases for the latency and writes-per-step figures: each lane is a namespace with one
// 10-replica Deployment and its Rollout, released again and again (v2, v3, …) through
// `1 / 30% pause{} / 60% / 100%`, approved a moment after it pauses. Lanes run side by side, offset in time.
import type { KubeClient } from "../../src/kube/client.ts";
import {
  applyAll,
  approve,
  deploymentManifest,
  namespaceManifest,
  rolloutManifest,
  setImage,
} from "./kube.ts";
import { isHealthyAttached, type RolloutWatch } from "./rollouts.ts";
import { sleep } from "./stats.ts";

export const LANE_STEPS = [
  { replicas: 1 },
  { replicas: "30%", pause: {} },
  { replicas: "60%" },
  { replicas: "100%" },
] as const;
export const LANE_REPLICAS = 10;
export const LANE_WORKLOAD = "web";
/** The step whose pause{} waits for approval (1-based). */
const APPROVAL_STEP = 2;

export function laneNamespace(index: number): string {
  return `bench-lane-${index}`;
}

/** Creates the lanes' namespaces, Deployments and Rollouts; resolves once every Rollout is attached. */
export async function setUpLanes(client: KubeClient, watch: RolloutWatch, lanes: number): Promise<string[]> {
  const namespaces = Array.from({ length: lanes }, (_, i) => laneNamespace(i));
  await applyAll(client, namespaces.map(namespaceManifest));
  await applyAll(
    client,
    namespaces.flatMap((ns) => [
      deploymentManifest(ns, LANE_WORKLOAD, LANE_REPLICAS, "example/web:v1"),
      rolloutManifest(ns, LANE_WORKLOAD, LANE_STEPS),
    ]),
  );
  for (const ns of namespaces)
    await watch.untilStatus(ns, LANE_WORKLOAD, "attached and Healthy", isHealthyAttached, 180_000);
  return namespaces;
}

/** Deterministic jitter (mulberry32), so two runs approve after the same delays. */
function jitter(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `releases` releases one after the other in one lane; returns each one's duration in seconds. */
export async function runLane(
  client: KubeClient,
  watch: RolloutWatch,
  namespace: string,
  releases: number,
  seed: number,
): Promise<number[]> {
  const random = jitter(seed);
  const seconds: number[] = [];
  const done = new Set<string>();
  for (let r = 1; r <= releases; r++) {
    const started = performance.now();
    await setImage(client, namespace, LANE_WORKLOAD, `example/web:v${r + 1}`);
    let canary = "";
    await watch.untilStatus(namespace, LANE_WORKLOAD, `release ${r} waiting for approval`, (s) => {
      canary = s.canaryRevision ?? "";
      return (
        s.currentStepIndex === APPROVAL_STEP &&
        s.currentStepState === "Paused" &&
        canary !== "" &&
        !done.has(canary)
      );
    });
    // Approvals come 0.3-1.3 s after the pause, so lanes do not approve in lockstep.
    await sleep(300 + random() * 1_000);
    await approve(client, namespace, LANE_WORKLOAD, APPROVAL_STEP);
    await watch.untilStatus(
      namespace,
      LANE_WORKLOAD,
      `release ${r} (${canary}) Succeeded`,
      (s) =>
        s.phase === "Healthy" &&
        s.history?.some((h) => h.revision === canary && h.outcome === "Succeeded") === true,
    );
    done.add(canary);
    seconds.push(Math.round((performance.now() - started) / 100) / 10);
    await sleep(500 + random() * 500);
  }
  return seconds;
}

export { APPROVAL_STEP };
