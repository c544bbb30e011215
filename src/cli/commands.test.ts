// Cluster commands refuse bad flags before connecting, and a bad kubeconfig in plain words.
import { describe, expect, it } from "vitest";
import type { CliIo } from "./io.ts";
import { main } from "./main.ts";
import { parseTimeout } from "./status.ts";

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

  it("status: a negative, malformed or --wait-less --timeout is refused naming the flag, before connecting", async () => {
    expect(await run(["status", "web", "--wait", "--timeout", "-5"])).toEqual({
      code: 1,
      out: "",
      err: "error: --timeout -5: a timeout cannot be negative; use 0 to check once, or a duration such as 30s, 10m, 1h\n",
    });
    expect((await run(["status", "web", "--wait", "--timeout", "-1s"])).err).toContain(
      "error: --timeout -1s: a timeout cannot be negative",
    );
    expect((await run(["status", "web", "--wait", "--timeout", "1.5"])).err).toMatch(
      /^error: --timeout: invalid duration "1.5": /,
    );
    expect(await run(["status", "web", "--timeout", "30s"])).toEqual({
      code: 1,
      out: "",
      err: "error: --timeout 30s needs --wait (without --wait, status checks once)\n",
    });
  });

  it("status: --timeout accepts 0 (check once), whole seconds and durations", () => {
    expect(parseTimeout("0")).toEqual({ ms: 0 });
    expect(parseTimeout("0s")).toEqual({ ms: 0 });
    expect(parseTimeout("90")).toEqual({ ms: 90_000 });
    expect(parseTimeout("1h30m")).toEqual({ ms: 5_400_000 });
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
