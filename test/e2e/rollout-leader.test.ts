// Two controller replicas with leader election (and the webhook as its own process, as a Deployment of
// Slipway with a separate webhook would run): only the leader reconciles, and when it is killed the other
// takes over within the lease time and finishes the release.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { done, notYet, waitFor, withNamespace } from "./lib/index.ts";
import { startSlipway, tail, type LogLine, type SlipwayProcess } from "./rollout/controller-process.ts";
import {
  annotate,
  deleteWebhookConfigurations,
  installCrds,
  setTemplate,
  waitForRollout,
} from "./rollout/fixtures.ts";
import { attach, NAME, PARTITION_DEPLOYMENT, podsSettled } from "./rollout/scenario.ts";

/** SPEC §5.7: 15 s lease, 10 s renew deadline, 2 s retry. */
const LEASE_MS = 15_000;
const RETRY_MS = 2_000;

let webhook: SlipwayProcess;
const replicas: SlipwayProcess[] = [];

const replica = (name: string) =>
  startSlipway(
    name,
    "controller",
    ["--no-webhook", "--leader-elect", "--metrics-port", "0", "--log-level", "debug"],
    (line) => line.msg === "slipway controller started",
  );

const becameLeader = (p: SlipwayProcess): LogLine | undefined =>
  p.lines().find((l) => l.msg === "became leader");
/** Lines only a working controller writes: about one Rollout (a reconcile, an Event it recorded). */
const acted = (p: SlipwayProcess): LogLine[] => p.lines().filter((l) => typeof l["rollout"] === "string");

beforeAll(async () => {
  await installCrds();
  webhook = await startSlipway(
    "leader-webhook",
    "webhook",
    ["--local", "--port", "0"],
    (l) => l.msg === "slipway webhook serving",
  );
}, 120_000);

afterAll(async () => {
  for (const r of replicas) await r.kill("SIGTERM");
  await webhook?.kill("SIGTERM");
  await deleteWebhookConfigurations();
});

describe("two controller replicas with --leader-elect", () => {
  it("only the leader acts, and killing it hands the release over to the other within the lease time", async () => {
    await withNamespace(async (ns) => {
      const a = await replica("replica-a");
      replicas.push(a);
      const leaderA = await waitFor(
        "replica-a to become leader",
        () => {
          const line = becameLeader(a);
          return line === undefined ? notYet(tail(a, 5)) : done(line);
        },
        { timeoutMs: 2 * LEASE_MS + 10_000 },
      );
      const b = await replica("replica-b");
      replicas.push(b);
      const { monitor } = await attach(ns, PARTITION_DEPLOYMENT);
      try {
        await setTemplate(ns, "Deployment", NAME, "example/web:v2");
        const paused = await waitForRollout(
          ns,
          NAME,
          "at the approval pause",
          (s) => s.currentStepIndex === 2 && s.currentStepState === "Paused",
        );
        expect(becameLeader(b)).toBeUndefined();
        expect(acted(b)).toEqual([]);
        expect(acted(a).length).toBeGreaterThan(0);

        const killedAt = Date.now();
        await a.kill("SIGKILL");
        const leaderB = await waitFor(
          "replica-b to take over",
          () => {
            const line = becameLeader(b);
            return line === undefined ? notYet(tail(b, 5)) : done(line);
          },
          { timeoutMs: LEASE_MS + 4 * RETRY_MS + 10_000, intervalMs: 100 },
        );
        const handover = Number(leaderB["time"]) - killedAt;
        console.error(
          `[leader] ${String(leaderA["identity"])} killed; ${String(leaderB["identity"])} leads after ${handover} ms`,
        );
        // The old lease must run out first (no release on SIGKILL), then one retry period at most.
        expect(handover).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 1_000);

        await annotate(ns, NAME, ANNOTATION_APPROVE, "2", "alice");
        const healthy = await waitForRollout(
          ns,
          NAME,
          "Healthy, finished by replica-b",
          (s) => s.phase === "Healthy",
        );
        expect(healthy.status?.history?.map((h) => h.outcome)).toEqual(["Succeeded"]);
        expect(healthy.status?.steps?.[1]?.approvedBy).toBe("alice");
        await podsSettled(monitor, paused.status?.canaryRevision ?? "", 10, 0);
        expect(acted(b).length).toBeGreaterThan(0);
        expect(monitor.violations).toEqual([]);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${tail(a)}\n${tail(b)}`, { cause: err });
      } finally {
        monitor.stop();
      }
    });
  }, 180_000);
});
