// Cluster commands refuse bad flags before connecting, and a bad kubeconfig in plain words.
import { describe, expect, it } from "vitest";
import type { CliIo } from "./io.ts";
import { main } from "./main.ts";

async function run(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    readFile: () => Promise.reject(new Error("not used")),
    readStdin: () => Promise.resolve(""),
  };
  const code = await main(["node", "kubectl-slipway", ...args], io);
  return { code, out, err };
}

describe("cluster commands before they connect", () => {
  it("get: -o must be json or yaml; a NAME cannot go with -A", async () => {
    expect(await run(["get", "-o", "wide"])).toEqual({
      code: 1,
      out: "",
      err: "error: -o wide: use json or yaml (or leave -o out for the view)\n",
    });
    expect((await run(["get", "web", "-A"])).err).toBe(
      "error: a Rollout NAME lives in one namespace: use -n NAMESPACE instead of -A\n",
    );
  });

  it("status: --timeout names the accepted forms", async () => {
    const r = await run(["status", "web", "--wait", "--timeout", "5 minutes"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: --timeout: invalid duration "5 minutes": expected whole seconds or a string like "30s"/,
    );
  });

  // The first cluster command in a process imports the Kubernetes client (seconds on a loaded machine).
  it("a missing kubeconfig file is named, with the fix", { timeout: 30_000 }, async () => {
    const r = await run(["approve", "web", "-n", "shop", "--kubeconfig", "/nonexistent/kubeconfig"]);
    expect(r).toEqual({
      code: 1,
      out: "",
      err: "error: cannot approve rollout shop/web: kubeconfig file /nonexistent/kubeconfig (from --kubeconfig) does not exist; fix the path\n",
    });
  });

  it("every action needs a Rollout name", async () => {
    for (const action of ["approve", "abort", "retry", "promote", "pause", "resume", "undo", "status"]) {
      const r = await run([action]);
      expect(r.code, action).toBe(1);
      expect(r.err, action).toContain("missing required argument 'name'");
    }
  });
});
