// `kubectl slipway status NAME [--wait] [--timeout D]`: for CI pipelines. With --wait it follows the release
// from watch events until it ends: exit 0 succeeded, 1 aborted or rolled back, 2 timed out.
import { Command } from "commander";
import { parseDuration } from "../api/primitives.ts";
import { withClusterOptions, type ClusterOptions } from "./cluster-flags.ts";
import type { Connection } from "./connection.ts";
import { untilAborted } from "./get.ts";
import type { CliIo } from "./io.ts";
import { parseFormat, printObject, type ObjectFormat } from "./output.ts";
import { verdictOf, type Verdict } from "./release-verdict.ts";

export interface StatusOptions extends ClusterOptions {
  readonly wait?: boolean;
  readonly timeout?: string;
  readonly output?: string;
}

export const EXIT_SUCCEEDED = 0;
export const EXIT_FAILED = 1;
export const EXIT_TIMED_OUT = 2;
/** Ctrl-C, as a shell reports SIGINT. */
const EXIT_INTERRUPTED = 130;

function exitCodeOf(verdict: Verdict): number {
  return verdict.kind === "failed" ? EXIT_FAILED : EXIT_SUCCEEDED;
}

export async function runStatus(name: string, opts: StatusOptions, io: CliIo): Promise<number> {
  const format = parseFormat(opts.output);
  if ("error" in format) {
    io.stderr(`error: ${format.error}\n`);
    return 1;
  }
  let timeoutMs: number | undefined;
  if (opts.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(/^\d+$/.test(opts.timeout) ? Number(opts.timeout) : opts.timeout) * 1000;
    } catch (err) {
      io.stderr(`error: --timeout: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const [{ withConnection }, { readRollout, readWorkload }] = await Promise.all([
    import("./connection.ts"),
    import("./rollouts.ts"),
  ]);
  return withConnection(
    opts,
    io,
    (ns) => `get the status of rollout ${ns}/${name}`,
    async (conn) => {
      if (opts.wait !== true) {
        const { raw, rollout } = await readRollout(conn, name);
        const verdict = verdictOf(rollout, await readWorkload(conn.client, rollout), false);
        report(io, verdict, format.format, raw);
        return exitCodeOf(verdict);
      }
      return wait(conn, name, timeoutMs, format.format, io);
    },
  );
}

function report(io: CliIo, verdict: Verdict, format: ObjectFormat | undefined, raw: unknown): void {
  if (format === undefined) io.stdout(`${verdict.message}\n`);
  else printObject(io, format, (raw as { status?: unknown }).status ?? {});
}

async function wait(
  conn: Connection,
  name: string,
  timeoutMs: number | undefined,
  format: ObjectFormat | undefined,
  io: CliIo,
): Promise<number> {
  const [{ readRollout }, { RolloutWatcher }] = await Promise.all([
    import("./rollouts.ts"),
    import("./watch.ts"),
  ]);
  await readRollout(conn, name); // a missing Rollout fails at once, in plain words
  const done = new AbortController();
  let code = EXIT_TIMED_OUT;
  let sawRelease = false;
  let lastMessage = "";
  let lastRaw: unknown;
  const check = (): void => {
    if (done.signal.aborted) return;
    const current = watcher.current()[0];
    if (current === undefined) {
      io.stderr(`rollout ${conn.namespace}/${name} was deleted\n`);
      code = EXIT_FAILED;
      done.abort();
      return;
    }
    lastRaw = current.raw;
    const verdict = verdictOf(current.rollout, current.workload, sawRelease);
    if (verdict.kind === "pending") {
      sawRelease = true;
      if (verdict.message !== lastMessage && format === undefined) io.stdout(`${verdict.message}\n`);
      lastMessage = verdict.message;
      return;
    }
    report(io, verdict, format, current.raw);
    code = exitCodeOf(verdict);
    done.abort();
  };
  const watcher = new RolloutWatcher(conn, name, check);
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => done.abort(), Math.min(timeoutMs, 2_147_483_647));
  try {
    await watcher.start();
    check();
    await untilAborted(AbortSignal.any([done.signal, ...(io.signal === undefined ? [] : [io.signal])]));
  } finally {
    clearTimeout(timer);
    await watcher.stop();
  }
  if (code === EXIT_TIMED_OUT) {
    if (!done.signal.aborted) return EXIT_INTERRUPTED;
    io.stderr(
      `timed out after ${Math.round((timeoutMs ?? 0) / 1000)}s; last state: ${lastMessage || "unknown"}\n`,
    );
    if (format !== undefined && lastRaw !== undefined)
      printObject(io, format, (lastRaw as { status?: unknown }).status ?? {});
  }
  return code;
}

export function statusCommand(io: CliIo, exit: (code: number) => void): Command {
  const command = new Command("status")
    .description("print where the release stands; with --wait, follow it until it ends (for CI)")
    .argument("<name>", "the Rollout")
    .option("--wait", "wait until the release ends: exit 0 succeeded, 1 aborted or rolled back, 2 timed out")
    .option("--timeout <duration>", 'give up waiting after this long ("30s", "10m", "1h"; default: no limit)')
    .option("-o, --output <format>", "json or yaml: print the Rollout's status object at the end");
  return withClusterOptions(command).action(async (name: string, opts: StatusOptions) =>
    exit(await runStatus(name, opts, io)),
  );
}
