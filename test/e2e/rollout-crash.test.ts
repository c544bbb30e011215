// Crash safety on the real control plane: the controller (with its webhook) is killed with SIGKILL at seeded
// random moments during releases and started again. Every release must still end in the right state, no step
// may run twice, no approval may be asked for twice, and the timed pause must not start again from zero.
// Seed: SLIPWAY_CRASH_SEED (default below); the kill times are printed so a failure can be replayed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { setTimeout as delay } from "node:timers/promises";
import { withNamespace } from "./lib/index.ts";
import { startController, tail, type SlipwayProcess } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  getRollout,
  installCrds,
  setTemplate,
} from "./rollout/fixtures.ts";
import { slipwayPlan } from "./rollout/plan.ts";
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

let controller: SlipwayProcess;
const kills: string[] = [];

beforeAll(async () => {
  await installCrds();
  controller = await startController("crash-tests");
}, 120_000);

afterAll(async () => {
  console.error(`[crash] seed ${SEED}; kills:\n  ${kills.join("\n  ")}`);
  await controller?.kill("SIGTERM");
  await deleteWebhookConfigurations();
});

/** kill -9 now and start a fresh controller; returns when the new one is up (caches synced, webhook serving). */
async function crashAndRestart(label: string): Promise<{ downAt: number; upAt: number }> {
  const downAt = Date.now();
  await controller.kill("SIGKILL");
  controller = await startController("crash-tests");
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
  const { rollout, monitor } = await attach(ns, subject);
  const plan = await slipwayPlan(rollout, subject.replicas);
  const before = [...monitor.counts().keys()][0] ?? "";
  let killed = 0;
  let approved = false;
  const restarts: { downAt: number; upAt: number }[] = [];
  try {
    await setTemplate(ns, subject.kind, NAME, "example/web:v2");
    const deadline = Date.now() + 240_000;
    for (;;) {
      const status = await phaseOf(ns);
      if (status?.phase === "Healthy" && (status.history?.length ?? 0) > 0 && killed >= minKills) break;
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
          `${subject.kind}: after ${wait} ms, at ${at?.phase} step ${at?.currentStepIndex} ${at?.currentStepState ?? ""}`,
        ),
      );
      killed++;
    }

    const s = (await phaseOf(ns))!;
    expect(s.history?.map((h) => h.outcome)).toEqual(["Succeeded"]);
    expect(s.steps?.[1]?.approvedBy).toBe("alice");
    await allOnNewRevision(monitor, subject, before);
    // No step ran twice: each step kept the start time it was first given.
    for (const [step, starts] of monitor.stepStarts)
      expect([...starts], `step ${step} start times`).toHaveLength(1);
    // No approval asked twice: once past step 2, the status never went back to it.
    const firstPast = monitor.timeline.findIndex((t) => (t.step ?? 0) >= 3);
    expect(monitor.timeline.slice(firstPast).some((t) => t.step === 2)).toBe(false);
    // No batch re-done or undone, and each step moved exactly the planned pods.
    expect(monitor.canaryDecreases).toEqual([]);
    for (const p of plan)
      expect(monitor.maxCanaryByStep.get(p.step), `canary pods at step ${p.step}`).toBe(p.canaryReplicas);
    // The timed pause counted from its first start: one "paused until" for the whole release, and it ended
    // then, or as soon as a controller was back if none was running at that moment — never 5 s after a restart.
    expect([...monitor.pausedUntil], "announced end of the timed pause").toHaveLength(1);
    const until = Date.parse([...monitor.pausedUntil][0] ?? "");
    const pauseEnd = Date.parse(s.steps?.[3]?.startedAt ?? "");
    const downAtDue = restarts.find((r) => r.downAt <= until && r.upAt >= until);
    expect(pauseEnd).toBeGreaterThanOrEqual(until);
    expect(pauseEnd, `pause due ${until}, restarts ${JSON.stringify(restarts)}`).toBeLessThanOrEqual(
      (downAtDue?.upAt ?? until) + 3_000,
    );
    expect(monitor.violations).toEqual([]);
    return killed;
  } finally {
    monitor.stop();
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
        throw new Error(`${(err as Error).message}\n${tail(controller)}\nkills: ${kills.join("; ")}`, {
          cause: err,
        });
      }
    });
  }, 420_000);

  it("still finishes a StatefulSet release exactly once", async () => {
    await withNamespace(async (ns) => {
      try {
        const killed = await releaseUnderKills(ns, STATEFULSET, next, 5);
        expect(killed).toBeGreaterThanOrEqual(5);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${tail(controller)}\nkills: ${kills.join("; ")}`, {
          cause: err,
        });
      }
    });
  }, 420_000);
});
