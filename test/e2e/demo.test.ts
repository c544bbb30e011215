// The demo is Slipway's main job: `npm run demo -- --yes` on the test's local control plane must release the
// good version to the end and roll the bad one back by itself. It runs as a child process, exactly as a user
// starts it; it reuses the running cluster (and leaves it running), and starts its own controller and Prometheus.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentCluster, deleteNamespace } from "./lib/index.ts";
import { getRollout, releaseRollouts } from "./rollout/fixtures.ts";

const DEMO = join(import.meta.dirname, "../../scripts/demo.ts");
const NS = "slipway-demo";

async function cleanUp(): Promise<void> {
  await releaseRollouts(NS).catch(() => undefined);
  await deleteNamespace(NS, true);
}

beforeAll(cleanUp, 120_000);
afterAll(cleanUp, 120_000);

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, "--yes"], {
      env: { ...process.env, KUBECONFIG: currentCluster().kubeconfig, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("npm run demo -- --yes", () => {
  it("releases v2 to the end through the gate and the approval, then v3 fails its gate and is rolled back by itself", async () => {
    const { code, output } = await runDemo();
    const tail = output.split("\n").slice(-60).join("\n");
    expect(code, `the demo exited ${code}:\n${tail}`).toBe(0);
    expect(output).toContain("approving in 3 s");
    expect(output).toContain("v3 failed its gate: traffic is back on v2");

    // What the cluster says afterwards, not only what the demo printed.
    const rollout = await getRollout(NS, "web");
    const status = rollout?.status;
    expect(status?.phase).toBe("Aborted");
    expect(status?.trafficWeight ?? 0).toBe(0);
    const outcomes = (status?.history ?? []).map((h) => h.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(["Succeeded", "Aborted"]));
    const aborted = (status?.history ?? []).find((h) => h.outcome === "Aborted");
    expect(aborted?.reason).toMatch(/success-rate/);
  }, 900_000);
});
