// Detached component processes tracked by pid files. A pid file records the binary too, so a recycled
// pid that now belongs to another program is never mistaken for ours (and never signalled).
import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface PidRecord {
  readonly pid: number;
  readonly binary: string;
  readonly startedAt: string;
}

export interface StartSpec {
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly pidFile: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** Proxy variables are dropped: every address the components dial is loopback. */
function componentEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(https?|no|all)_proxy$/i.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Starts a process in its own session; it outlives this Node process. Output goes to `logFile`. */
export function startDetached(spec: StartSpec): PidRecord {
  // spawn reports a missing binary asynchronously (an 'error' event); check first for a clear message.
  if (!existsSync(spec.binary))
    throw new Error(`binary ${spec.binary} does not exist; run npm run cluster:build`);
  const fd = openSync(spec.logFile, "a");
  try {
    const child = spawn(spec.binary, [...spec.args], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: componentEnv(spec.env),
      cwd: spec.cwd,
    });
    child.once("error", (err) => console.error(`${spec.binary}: ${err.message}`));
    if (child.pid === undefined) throw new Error(`could not start ${spec.binary}; see ${spec.logFile}`);
    child.unref();
    const record: PidRecord = { pid: child.pid, binary: spec.binary, startedAt: new Date().toISOString() };
    writeFileSync(spec.pidFile, JSON.stringify(record) + "\n");
    return record;
  } finally {
    closeSync(fd);
  }
}

export function readPidFile(pidFile: string): PidRecord | undefined {
  if (!existsSync(pidFile)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(pidFile, "utf8"));
    if (typeof parsed === "object" && parsed !== null && "pid" in parsed && "binary" in parsed) {
      const { pid, binary, startedAt } = parsed as Record<string, unknown>;
      if (typeof pid === "number" && typeof binary === "string") {
        return { pid, binary, startedAt: typeof startedAt === "string" ? startedAt : "" };
      }
    }
  } catch {
    // A torn or foreign file: treat as "no process".
  }
  return undefined;
}

/** True when `record.pid` is a live (non-zombie) process running `record.binary`. */
export function isRunning(record: PidRecord): boolean {
  try {
    const stat = readFileSync(`/proc/${record.pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name, is the state; Z = zombie (exited, not reaped).
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const argv0 = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split("\0")[0];
    return argv0 === record.binary;
  } catch {
    return false;
  }
}

async function waitGone(record: PidRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) return true;
    await sleep(100);
  }
  return !isRunning(record);
}

/** SIGTERM, then SIGKILL after `graceMs`. Removes the pid file. Returns what happened. */
export async function stopProcess(
  pidFile: string,
  graceMs = 10_000,
): Promise<"not-running" | "terminated" | "killed"> {
  const record = readPidFile(pidFile);
  if (record === undefined || !isRunning(record)) {
    rmSync(pidFile, { force: true });
    return "not-running";
  }
  process.kill(record.pid, "SIGTERM");
  if (await waitGone(record, graceMs)) {
    rmSync(pidFile, { force: true });
    return "terminated";
  }
  process.kill(record.pid, "SIGKILL");
  if (!(await waitGone(record, 5_000))) {
    throw new Error(
      `process ${record.pid} (${record.binary}) survived SIGKILL; inspect it with 'ps -p ${record.pid}'`,
    );
  }
  rmSync(pidFile, { force: true });
  return "killed";
}
