// Crash safety on the real control plane: the controller (with its webhook) is killed with SIGKILL at seeded
// random moments during releases and started again. Every release must still end in the right state, no step
// may run twice, no approval may be asked for twice, and the timed pause must not start again from zero.
// Seed: SLIPWAY_CRASH_SEED (default below); the kill times are printed so a failure can be replayed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { setTimeout as delay } from "node:timers/promises";
import { describeNamespace, podsByRevision, withNamespace, type RevisionGroup } from "./lib/index.ts";
import { startController, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  getRollout,
  installCrds,
  releaseRollouts,
  setTemplate,
} from "./rollout/fixtures.ts";
import { slipwayPlan } from "./rollout/plan.ts";
import { watchPartitions } from "./rollout/release-monitor.ts";
import {
  allOnNewRevision,
  attach,
  NAME,
  PARTITION_DEPLOYMENT,
  STATEFULSET,
  type Subject,
} from "./rollout/scenario.ts";

const SEED = Number(process.env["SLIPWAY_CRASH_SEED"] ?? 20241203);

/** mulberry32: a small seeded PRNG, so the kill schedule is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let controller: SlipwayProcess | undefined;
const kills: string[] = [];

beforeAll(installCrds, 120_000);

afterAll(async () => {
  console.error(`[crash] seed ${SEED}; kills:\n  ${kills.join("\n  ")}`);
  await deleteWebhookConfigurations();
});

/** kill -9 now and start a fresh controller; returns when the new one is up (caches synced, webhook serving). */
async function crashAndRestart(ns: string, label: string): Promise<{ downAt: number; upAt: number }> {
  const downAt = Date.now();
  await controller?.kill("SIGKILL");
  controller = await startController("crash-tests", ns);
  const upAt = Date.now();
  kills.push(`${label} (down ${upAt - downAt} ms)`);
  return { downAt, upAt };
}

async function phaseOf(ns: string) {
  return (await getRollout(ns, NAME))?.status;
}

/**
 * Runs the standard release while killing the controller at random moments (uniform in [minMs, maxMs] after
 * the previous restart) until the release ends, approving step 2 exactly once when it is reached.
 */
async function releaseUnderKills(ns: string, subject: Subject, next: () => number, minKills: number) {
  controller = await startController("crash-tests", ns);
  const { rollout, monitor } = await attach(ns, subject);
  const partitions = subject.kind === "StatefulSet" ? await watchPartitions(ns, NAME) : undefined;
  const plan = await slipwayPlan(rollout, subject.replicas);
  const before = [...monitor.counts().keys()][0] ?? "";
  let killed = 0;
  let approved = false;
  /** The workload's pods (a fresh LIST, not the monitor's watch) the first time the release showed Succeeded. */
  let atSucceeded: { groups: RevisionGroup[]; picture: string } | undefined;
  const restarts: { downAt: number; upAt: number }[] = [];
  try {
    await setTemplate(ns, subject.kind, NAME, "example/web:v2");
    const deadline = Date.now() + 240_000;
    for (;;) {
      const status = await phaseOf(ns);
      const finished = status?.phase === "Healthy" && (status.history?.length ?? 0) > 0;
      if (finished && atSucceeded === undefined) {
        atSucceeded = {
          groups: await podsByRevision(ns, `app=${NAME}`),
          picture: await describeNamespace(ns),
        };
      }
      if (finished && killed >= minKills) break;
      if (Date.now() > deadline) throw new Error(`release not done after 240 s: ${JSON.stringify(status)}`);
      // Approve once, after a few kills happened during the approval pause.
      if (
        !approved &&
        status?.currentStepIndex === 2 &&
        status.currentStepState === "Paused" &&
        killed >= 3
      ) {
        await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
        approved = true;
      }
      // The kill moment is the test's input, not a wait for a condition: a seeded delay since the restart.
      // (Kills after the release ended hit the idle Rollout, which must stay Healthy.)
      const wait = Math.round(300 + next() * 2_200);
      await delay(wait);
      const at = await phaseOf(ns);
      restarts.push(
        await crashAndRestart(
          ns,
          `${subject.kind}: after ${wait} ms, at ${at?.phase} step ${at?.currentStepIndex} ${at?.currentStepState ?? ""}`,
        ),
      );
      killed++;
    }

    const s = (await phaseOf(ns))!;
    expect(s.history?.map((h) => h.outcome)).toEqual(["Succeeded"]);
    // SPEC §5.5: Succeeded only once every pod runs the new revision and is ready — none left on the old one.
    const live = (atSucceeded?.groups ?? []).filter((g) => g.total > 0);
    expect(
      live.map((g) => ({ revision: g.revision === before ? "old" : "new", total: g.total, ready: g.ready })),
      `pods when the release showed Succeeded:\n${atSucceeded?.picture}`,
    ).toEqual([{ revision: "new", total: subject.replicas, ready: subject.replicas }]);
    expect(s.steps?.[1]?.approvedBy).toBe("alice");
    await allOnNewRevision(monitor, subject, before);
    // No step ran twice: each step kept the start time it was first given.
    for (const [step, starts] of monitor.stepStarts)
      expect([...starts], `step ${step} start times`).toHaveLength(1);
    // No approval asked twice: once past step 2, the status never went back to it.
    const firstPast = monitor.timeline.findIndex((t) => (t.step ?? 0) >= 3);
    expect(monitor.timeline.slice(firstPast).some((t) => t.step === 2)).toBe(false);
    // No batch re-done or undone: canary pods never went down (Deployment), the partition never went up
    // (StatefulSet, see watchPartitions); and each step moved exactly the planned pods.
    if (partitions === undefined) expect(monitor.canaryDecreases).toEqual([]);
    else {
      const held = partitions.values.findIndex((p) => p >= 1_000_000);
      const lowered = partitions.values.slice(held + 1);
      expect(held, `partitions ${partitions.values.join(" → ")}`).toBeGreaterThanOrEqual(0);
      expect(lowered, `partitions ${partitions.values.join(" → ")}`).toEqual(
        [...lowered].sort((a, b) => b - a),
      );
    }
    for (const p of plan)
      expect(monitor.maxCanaryByStep.get(p.step), `canary pods at step ${p.step}`).toBe(p.canaryReplicas);
    // The timed pause counted from its first start: one "paused until" for the whole release, and it ended
    // then, or as soon as a controller was back if none was running at that moment — never 5 s after a restart.
    expect([...monitor.pausedUntil], "announced end of the timed pause").toHaveLength(1);
    const until = Date.parse([...monitor.pausedUntil][0] ?? "");
    const pauseEnd = Date.parse(s.steps?.[3]?.startedAt ?? "");
    const downAtDue = restarts.find((r) => r.downAt <= until && r.upAt >= until);
    expect(pauseEnd).toBeGreaterThanOrEqual(until);
    // Restarted from zero, it would end 5 s after a restart at the earliest.
    expect(pauseEnd, `pause due ${until}, restarts ${JSON.stringify(restarts)}`).toBeLessThan(
      (downAtDue?.upAt ?? until) + 4_500,
    );
    expect(monitor.violations).toEqual([]);
    return killed;
  } finally {
    if (monitor.stalls.length > 0)
      console.error(
        `[crash] ${subject.kind}: the monitor's watch stalled and was replaced:\n  ${monitor.stalls.join("\n  ")}`,
      );
    monitor.stop();
    partitions?.stop();
    await releaseRollouts(ns);
    await controller?.kill("SIGTERM");
  }
}

describe("a controller killed with SIGKILL at seeded random moments", () => {
  const next = random(SEED);
  it("still finishes a Deployment release exactly once: no step run twice, one approval, the timed pause not restarted", async () => {
    await withNamespace(async (ns) => {
      try {
        const killed = await releaseUnderKills(ns, PARTITION_DEPLOYMENT, next, 6);
        expect(killed).toBeGreaterThanOrEqual(6);
      } catch (err) {
        const picture = await describeNamespace(ns).catch((e: unknown) => `(describe failed: ${String(e)})`);
        throw new Error(
          `${(err as Error).message}\n${controller ? tail(controller) : ""}\nkills: ${kills.join("; ")}\n${picture}`,
          { cause: err },
        );
      }
    });
  }, 420_000);

  it("still finishes a StatefulSet release exactly once", async () => {
    await withNamespace(async (ns) => {
      try {
        const killed = await releaseUnderKills(ns, STATEFULSET, next, 5);
        expect(killed).toBeGreaterThanOrEqual(5);
      } catch (err) {
        const picture = await describeNamespace(ns).catch((e: unknown) => `(describe failed: ${String(e)})`);
        throw new Error(
          `${(err as Error).message}\n${controller ? tail(controller) : ""}\nkills: ${kills.join("; ")}\n${picture}`,
          { cause: err },
        );
      }
    });
  }, 420_000);
});
