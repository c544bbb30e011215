// bin/slipway.js (the npm bin, also what kubectl runs as the kubectl-slipway plugin) works with any Node >= 20
// on PATH: a Node that cannot strip types re-runs it on the Node 24 of the `node` package, with the same
// arguments, stdio, signals and exit code. Runs the real bin as a child process.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "bin", "slipway.js");
const invalid = join(root, "src", "cli", "testdata", "invalid.yaml");
const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;

const packaged = (() => {
  const manifest = createRequire(import.meta.url).resolve("node/package.json");
  const { bin: nodeBin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: { node: string } };
  return join(dirname(manifest), nodeBin.node);
})();

interface Interpreter {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * Nodes that cannot run the TypeScript sources: the packaged Node 24 with type stripping switched off (there
 * everywhere), and every Node older than 24 on PATH (e.g. a system Node 20, as `which -a node` lists it).
 */
function oldNodes(): Interpreter[] {
  const found = new Map<string, Interpreter>();
  const listed = spawnSync("which", ["-a", "node"], { encoding: "utf8" }).stdout.split("\n");
  for (const path of listed.filter((p) => p !== "")) {
    const real = realpathSync(path);
    const v = execFileSync(real, ["--version"], { encoding: "utf8" }).trim();
    if (Number(/^v(\d+)/.exec(v)?.[1]) < 24)
      found.set(real, { label: `${path} (${v})`, command: real, args: [] });
  }
  return [
    {
      label: "Node 24 --no-experimental-strip-types",
      command: packaged,
      args: ["--no-experimental-strip-types"],
    },
    ...found.values(),
  ];
}

const run = (node: Interpreter, args: readonly string[], input = "") =>
  spawnSync(node.command, [...node.args, bin, ...args], { cwd: root, input, encoding: "utf8" });

// Two Node start-ups per run on a loaded 2-core machine: seconds each.
const SLOW = 60_000;

describe.each(oldNodes())("bin/slipway.js run by $label", (node) => {
  it(
    "--version prints the version and exits 0",
    () => {
      const r = run(node, ["--version"]);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, `${version}\n`, ""]);
    },
    SLOW,
  );

  it(
    "lint passes stdin through and exits 0 for a valid file, 1 with one line per problem otherwise",
    () => {
      const ok = run(node, ["lint", "-f", "-"], readFileSync(join(root, "examples", "istio.yaml"), "utf8"));
      expect([ok.status, ok.stdout, ok.stderr]).toEqual([
        0,
        "OK: 1 ClusterAnalysisTemplate, 1 Rollout valid (4 other objects ignored)\n",
        "",
      ]);
      const bad = run(node, ["lint", "-f", invalid]);
      expect([bad.status, bad.stdout]).toEqual([1, ""]);
      expect(bad.stderr).toBe(
        readFileSync(join(root, "src", "cli", "testdata", "invalid.lint.golden"), "utf8"),
      );
    },
    SLOW,
  );

  it(
    "forwards SIGTERM to the relayed Node 24 and dies of it too",
    async () => {
      // `lint -f -` waits for stdin to end: a process that is still running when the signal comes.
      const child = spawn(node.command, [...node.args, bin, "lint", "-f", "-"], {
        cwd: root,
        stdio: ["pipe", "ignore", "ignore"],
      });
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once("exit", (code, signal) => resolve(signal ?? code)),
      );
      const relayed = await relayedNode(child.pid ?? -1);
      child.kill("SIGTERM");
      expect(await exited).toBe("SIGTERM");
      expect(alive(relayed)).toBe(false);
    },
    SLOW,
  );
});

/**
 * The child of `pid` once it runs the packaged Node 24 (right after the fork it is still the old Node), waited
 * for up to 20 s: proof that the relay re-ran the bin there.
 */
async function relayedNode(pid: number): Promise<number> {
  const wanted = realpathSync(packaged);
  const deadline = Date.now() + 20_000;
  let seen = "no child process";
  while (Date.now() < deadline) {
    try {
      const first = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0];
      if (first) {
        seen = `child ${first} runs ${realpathSync(`/proc/${first}/exe`)}`;
        if (seen.endsWith(wanted)) return Number(first);
      }
    } catch {
      // not started yet, or between fork and exec
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process ${pid} did not re-run the bin on ${wanted} within 20 s (${seen})`);
}

function alive(pid: number): boolean {
  // The relay exits only after its child did; the zombie is reaped by then.
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
