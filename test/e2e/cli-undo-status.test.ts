// `kubectl slipway undo` on real workloads (a held Deployment, a StatefulSet) and `status --wait` exit codes
// for CI against a Rollout whose status the test writes through the status subresource.
import { beforeAll, describe, expect, it } from "vitest";
import {
  applyYaml,
  clients,
  done,
  notYet,
  strategicMergePatch,
  waitFor,
  withNamespace,
} from "./lib/index.ts";
import { deployment, statefulSet } from "./lib/manifests.ts";
import {
  createRollout,
  installCrds,
  pausedAt,
  rolloutManifest,
  slipway,
  writeStatus,
} from "./cli/support.ts";

beforeAll(async () => {
  await installCrds();
});

const image = (t: { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }) =>
  t.spec?.template?.spec?.containers?.[0]?.image;

describe("kubectl slipway undo", () => {
  it("sets a held (paused) Deployment's template back to the stable ReplicaSet's, without the hash label", async () => {
    await withNamespace(async (ns) => {
      const { apps } = clients();
      await applyYaml(deployment({ name: "web", namespace: ns, replicas: 2, image: "app:v1" }) as never);
      const stableHash = await waitFor("the v1 ReplicaSet", async () => {
        const rs = (await apps.listNamespacedReplicaSet({ namespace: ns })).items[0];
        const hash = rs?.metadata?.labels?.["pod-template-hash"];
        return hash === undefined ? notYet(rs) : done(hash);
      });
      const v1 = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
      // Held as the webhook holds it, then released as v2 with an extra label (a user's change).
      await apps.patchNamespacedDeployment(
        {
          name: "web",
          namespace: ns,
          body: {
            spec: {
              paused: true,
              template: {
                metadata: { labels: { release: "v2" } },
                spec: { containers: [{ name: "app", image: "app:v2" }] },
              },
            },
          },
        },
        strategicMergePatch,
      );
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", { ...pausedAt(2, "ffff"), stableRevision: stableHash });

      const r = await slipway(["undo", "web", "-n", ns]);
      expect([r.code, r.err]).toEqual([0, ""]);
      expect(r.out).toContain(
        `Deployment ${ns}/web: pod template set back to the stable revision ${stableHash}`,
      );
      const after = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
      expect(after.spec?.template).toEqual(v1.spec?.template);
      expect(after.spec?.template?.metadata?.labels?.["pod-template-hash"]).toBeUndefined();
      expect(after.spec?.paused).toBe(true); // undo changes the template only; the controller releases the hold

      const again = await slipway(["undo", "web", "-n", ns]);
      expect(again.out).toBe(
        `Deployment ${ns}/web already runs the stable revision ${stableHash}: nothing to undo\n`,
      );
    });
  });

  it("sets a StatefulSet's template back to the stable ControllerRevision's", async () => {
    await withNamespace(async (ns) => {
      const { apps } = clients();
      await applyYaml(statefulSet({ name: "db", namespace: ns, replicas: 2, image: "db:v1" }) as never);
      const stable = await waitFor("the v1 ControllerRevision", async () => {
        const sts = await apps.readNamespacedStatefulSet({ name: "db", namespace: ns });
        return sts.status?.updateRevision === undefined
          ? notYet(sts.status)
          : done(sts.status.updateRevision);
      });
      await apps.patchNamespacedStatefulSet(
        {
          name: "db",
          namespace: ns,
          body: {
            spec: {
              updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } },
              template: { spec: { containers: [{ name: "app", image: "db:v2" }] } },
            },
          },
        },
        strategicMergePatch,
      );
      await createRollout(ns, rolloutManifest("db", { kind: "StatefulSet", name: "db" }));
      await writeStatus(ns, "db", { ...pausedAt(1), stableRevision: stable });
      const r = await slipway(["undo", "db", "-n", ns]);
      expect([r.code, r.err]).toEqual([0, ""]);
      const after = await apps.readNamespacedStatefulSet({ name: "db", namespace: ns });
      expect(image(after)).toBe("db:v1");
    });
  });

  it("without a stable revision in status there is nothing to undo, in plain words", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      const r = await slipway(["undo", "web", "-n", ns]);
      expect([r.code, r.err]).toEqual([
        1,
        `error: cannot undo rollout ${ns}/web: rollout ${ns}/web has no stable revision in its status yet: nothing to undo\n`,
      ]);
    });
  });
});

describe("kubectl slipway status --wait (exit codes for CI)", () => {
  const healthy = (outcome: "Succeeded" | "RolledBack") => ({
    observedGeneration: 1,
    phase: "Healthy" as const,
    message: "no release in progress",
    stableRevision: outcome === "Succeeded" ? "7c9d8b6f5" : "5d8f9c7b6",
    currentStepIndex: 0,
    history: [
      {
        revision: "7c9d8b6f5",
        outcome,
        startedAt: "2025-03-01T10:00:00Z",
        finishedAt: "2025-03-01T10:10:00Z",
        reason: "test",
      },
    ],
  });

  /** Starts `status --wait`, waits until it printed its first line, writes `next`, returns the result. */
  async function waitThrough(ns: string, next: Parameters<typeof writeStatus>[2], timeout = "60s") {
    await createRollout(ns, rolloutManifest("web"));
    await writeStatus(ns, "web", { ...pausedAt(2), observedGeneration: 1 });
    let seen = "";
    const running = slipway(["status", "web", "-n", ns, "--wait", "--timeout", timeout], {
      onStdout: (all) => (seen = all),
    });
    await waitFor("status to report the release", () =>
      seen.includes("step 2/3: waiting for approval") ? done(undefined) : notYet(seen),
    );
    await writeStatus(ns, "web", next);
    return running;
  }

  it("exits 0 once the release succeeds", async () => {
    await withNamespace(async (ns) => {
      const r = await waitThrough(ns, healthy("Succeeded"));
      expect([r.code, r.err]).toEqual([0, ""]);
      expect(r.out.trimEnd().split("\n").at(-1)).toBe(`rollout ${ns}/web is Healthy on revision 7c9d8b6f5`);
    });
  });

  it("exits 1 when the release is aborted", async () => {
    await withNamespace(async (ns) => {
      const r = await waitThrough(ns, { phase: "Aborted", message: "analysis success-rate failed" });
      expect(r.code).toBe(1);
      expect(r.out).toContain("aborted at step 2/3: analysis success-rate failed");
    });
  });

  it("exits 1 when the release is rolled back", async () => {
    await withNamespace(async (ns) => {
      const r = await waitThrough(ns, healthy("RolledBack"));
      expect(r.code).toBe(1);
      expect(r.out).toContain("release of 7c9d8b6f5 rolled back: test");
    });
  });

  it("exits 2 when the release does not end within --timeout", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", { ...pausedAt(2), observedGeneration: 1 });
      const started = Date.now();
      const r = await slipway(["status", "web", "-n", ns, "--wait", "--timeout", "2s"]);
      expect(r.code).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(r.err).toMatch(/^timed out after 2s; last state: step 2\/3: waiting for approval/);
    });
  });

  it("--timeout 0 checks once: exit 2 at once while the release runs, the verdict when it has ended", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", { ...pausedAt(2), observedGeneration: 1 });
      const started = Date.now();
      const running = await slipway(["status", "web", "-n", ns, "--wait", "--timeout", "0"]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(running).toEqual({
        code: 2,
        out: "step 2/3: waiting for approval: kubectl slipway approve web\n",
        err: "not done after checking once (--timeout 0)\n",
      });
      await writeStatus(ns, "web", healthy("Succeeded"));
      const ended = await slipway(["status", "web", "-n", ns, "--wait", "--timeout", "0s"]);
      expect(ended).toEqual({
        code: 0,
        out: `rollout ${ns}/web is Healthy on revision 7c9d8b6f5\n`,
        err: "",
      });
    });
  });

  it("without --wait prints where the release stands once", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", healthy("Succeeded"));
      const r = await slipway(["status", "web", "-n", ns]);
      expect([r.code, r.out]).toEqual([0, `rollout ${ns}/web is Healthy on revision 7c9d8b6f5\n`]);
    });
  });
});
