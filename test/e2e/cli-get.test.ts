// `kubectl slipway get` on a real API server: the view of a live Rollout next to its real Deployment, the
// table (-n and -A), -o json|yaml, and --watch redrawing from watch events when the status changes.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyYaml, done, notYet, waitFor, withNamespace } from "./lib/index.ts";
import { deployment } from "./lib/manifests.ts";
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

describe("kubectl slipway get", () => {
  it("NAME shows the steps with marks, pod counts from the live Deployment, traffic and the approval command", async () => {
    await withNamespace(async (ns) => {
      await applyYaml(deployment({ name: "web", namespace: ns, replicas: 4 }) as never);
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", {
        ...pausedAt(2),
        canaryReplicas: 2,
        canaryReadyReplicas: 2,
        steps: [
          {
            index: 1,
            phase: "Succeeded",
            startedAt: "2025-03-01T10:00:00Z",
            finishedAt: "2025-03-01T10:00:30Z",
          },
          { index: 2, phase: "Running", startedAt: "2025-03-01T10:00:30Z" },
        ],
      });
      const r = await slipway(["get", "web", "-n", ns], { now: Date.parse("2025-03-01T10:02:00Z") });
      expect([r.code, r.err]).toEqual([0, ""]);
      expect(r.out).toContain(`Rollout:    ${ns}/web`);
      expect(r.out).toContain("Workload:   Deployment/web, 4 replicas");
      expect(r.out).toContain("Status:     ‖ Paused at step 2/3");
      expect(r.out).toMatch(/✔ 1 {2}done in 30s\n +pods +█+░+ {2}1 canary, 3 stable\n/);
      expect(r.out).toMatch(/‖ 2 {2}Paused for 1m30s\n +pods +█+░+ {2}2 canary, 2 stable, 2 ready\n/);
      expect(r.out).toContain(`waiting for approval: kubectl slipway approve web -n ${ns}`);
      expect(r.out).toMatch(/○ 3 {2}waiting\n +pods +█+ {2}4 canary, 0 stable\n/);
    });
  });

  it("lists Rollouts of one namespace, or of all with -A; -o json and -o yaml print the objects", async () => {
    await withNamespace(async (ns) => {
      await createRollout(ns, rolloutManifest("web"));
      await createRollout(ns, rolloutManifest("api"));
      await writeStatus(ns, "web", pausedAt(2));
      const table = await slipway(["get", "-n", ns]);
      const lines = table.out.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^NAME +WORKLOAD +PHASE +STEP +CANARY +TRAFFIC +AGE +MESSAGE$/);
      expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 6))).toEqual([
        ["api", "Deployment/api", "<none>", "-/3", "-", "-"],
        ["web", "Deployment/web", "Paused", "2/3", "1/1", "50%"],
      ]);
      const all = await slipway(["get", "-A"]);
      expect(all.out.split("\n")[0]).toMatch(/^NAMESPACE +NAME +WORKLOAD/);
      expect(all.out).toMatch(new RegExp(`\\n${ns} +web +Deployment/web +Paused`));

      const json = JSON.parse((await slipway(["get", "web", "-n", ns, "-o", "json"])).out) as {
        metadata: { name: string };
        status: { currentStepIndex: number };
      };
      expect([json.metadata.name, json.status.currentStepIndex]).toEqual(["web", 2]);
      const list = parse((await slipway(["get", "-n", ns, "-o", "yaml"])).out) as {
        kind: string;
        items: unknown[];
      };
      expect([list.kind, list.items.length]).toEqual(["List", 2]);

      const bad = await slipway(["get", "web", "-A"]);
      expect([bad.code, bad.err]).toEqual([
        1,
        "error: a Rollout NAME lives in one namespace: use -n NAMESPACE instead of -A\n",
      ]);
    });
  });

  it("--watch redraws from watch events when the controller writes status, and stops when told", async () => {
    await withNamespace(async (ns) => {
      await applyYaml(deployment({ name: "web", namespace: ns, replicas: 4 }) as never);
      await createRollout(ns, rolloutManifest("web"));
      await writeStatus(ns, "web", pausedAt(1));
      const stop = new AbortController();
      let seen = "";
      const running = slipway(["get", "web", "-n", ns, "--watch"], {
        signal: stop.signal,
        onStdout: (all) => (seen = all),
      });
      await waitFor("the first rendering", () =>
        seen.includes("at step 1/3") ? done(undefined) : notYet(seen),
      );
      await writeStatus(ns, "web", pausedAt(2));
      await waitFor("a redraw at step 2", () =>
        seen.includes("‖ Paused at step 2/3") ? done(undefined) : notYet(seen),
      );
      stop.abort();
      const r = await running;
      expect([r.code, r.err]).toEqual([0, ""]);
      const renderings = r.out.split(/─{20,}\n/);
      expect(renderings.length).toBeGreaterThanOrEqual(2);
      expect(renderings[0]).toContain("◌ Progressing at step 1/3 (Upgrading)");
      expect(renderings.at(-1)).toContain("waiting for approval");
    });
  });
});
