// `slipway controller` (and `slipway webhook`) as real child processes of the test, so a test can kill -9
// them at any moment and start them again — the way a node failure or an OOM kill would.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { done, notYet, waitFor } from "../lib/index.ts";
import { currentCluster } from "../lib/index.ts";

const MAIN = join(import.meta.dirname, "../../../src/cli/main.ts");
const LOG_DIR = join(tmpdir(), "slipway-e2e-controllers");

export interface SlipwayProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Log lines (parsed pino JSON) written so far. */
  lines(): LogLine[];
  /** Sends the signal and waits until the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

let counter = 0;

/**
 * Starts `slipway <command> <args>` with the test cluster's admin kubeconfig and waits until a log line
 * satisfies `ready`. Its output goes to a file (printed by `tail` when a test fails).
 */
export async function startSlipway(
  name: string,
  command: "controller" | "webhook",
  args: readonly string[],
  ready: (line: LogLine) => boolean,
): Promise<SlipwayProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${name}-${process.pid}-${++counter}.log`);
  const fd = openSync(logFile, "w");
  const child: ChildProcess = spawn(
    process.execPath,
    [MAIN, command, "--kubeconfig", currentCluster().kubeconfig, ...args],
    { stdio: ["ignore", fd, fd], env: { ...process.env } },
  );
  closeSync(fd);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const lines = (): LogLine[] => parseLines(readFileSync(logFile, "utf8"));
  const proc: SlipwayProcess = {
    name,
    pid: child.pid ?? -1,
    logFile,
    lines,
    get exited() {
      return exited;
    },
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (!exited) child.kill(signal);
      await exit;
    },
  };
  try {
    await waitFor(
      `${name} (slipway ${command}) to start`,
      () => {
        if (exited) throw new Error(`${name} exited during start-up:\n${tail(proc)}`);
        const line = lines().find(ready);
        return line === undefined ? notYet(tail(proc, 5)) : done(line);
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("{")) continue;
    try {
      out.push(JSON.parse(raw) as LogLine);
    } catch {
      // a line cut by a kill -9
    }
  }
  return out;
}

/** The last `n` lines of a process's log (for failure messages). */
export function tail(proc: SlipwayProcess, n = 40): string {
  const text = readFileSync(proc.logFile, "utf8").trimEnd().split("\n");
  return `--- ${proc.name} (${proc.logFile}) ---\n${text.slice(-n).join("\n")}`;
}

/** The controller with the webhook in the same process (local mode, free ports). */
export function startController(name = "controller", extra: readonly string[] = []): Promise<SlipwayProcess> {
  return startSlipway(
    name,
    "controller",
    ["--webhook-local-port", "0", "--metrics-port", "0", "--log-level", "debug", ...extra],
    (line) => line.msg === "slipway controller started",
  );
}
