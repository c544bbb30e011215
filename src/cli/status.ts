// `kubectl slipway status NAME [--wait] [--timeout D]`: for CI pipelines. With --wait it follows the release
// from watch events until it ends: exit 0 succeeded, 1 aborted or rolled back, 2 timed out. `--timeout 0`
// checks once, like `kubectl wait --timeout=0` (docs/decisions/cli-status-timeout-zero.md).
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
  const timeout = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
  if (timeout !== undefined && "error" in timeout) {
    io.stderr(`error: ${timeout.error}\n`);
    return 1;
  }
  if (timeout !== undefined && opts.wait !== true) {
    io.stderr(`error: --timeout ${opts.timeout} needs --wait (without --wait, status checks once)\n`);
    return 1;
  }
  const timeoutMs = timeout?.ms;
  const [{ withConnection }, { readRollout, readWorkload }] = await Promise.all([
    import("./connection.ts"),
    import("./rollouts.ts"),
  ]);
  return withConnection(
    opts,
    io,
    (ns) => `get the status of rollout ${ns}/${name}`,
    async (conn) => {
      if (opts.wait !== true || timeoutMs === 0) {
        const { raw, rollout } = await readRollout(conn, name);
        const verdict = verdictOf(rollout, await readWorkload(conn.client, rollout), false);
        report(io, verdict, format.format, raw);
        if (opts.wait === true && verdict.kind === "pending") {
          io.stderr("not done after checking once (--timeout 0)\n");
          return EXIT_TIMED_OUT;
        }
        return exitCodeOf(verdict);
      }
      return wait(conn, name, timeoutMs, format.format, io);
    },
  );
}

/** setTimeout's limit (about 24.8 days); longer waits re-arm the timer. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * `--timeout`: a duration (`30s`, `10m`, `1h30m`) or whole seconds; 0 means "check once". Negative or
 * malformed values are refused with the flag named.
 */
export function parseTimeout(value: string): { readonly ms: number } | { readonly error: string } {
  const text = value.trim();
  if (/^-/.test(text)) {
    return {
      error: `--timeout ${value}: a timeout cannot be negative; use 0 to check once, or a duration such as 30s, 10m, 1h`,
    };
  }
  try {
    return { ms: parseDuration(/^\d+$/.test(text) ? Number(text) : text) * 1000 };
  } catch (err) {
    return { error: `--timeout: ${(err as Error).message}` };
  }
}

/** Calls `fire` once `ms` have passed, also beyond setTimeout's limit; returns how to cancel it. */
function after(ms: number, fire: () => void): () => void {
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = deadline - Date.now();
    timer =
      left <= 0
        ? setTimeout(fire, 0)
        : setTimeout(left > MAX_TIMER_MS ? arm : fire, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return () => clearTimeout(timer);
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
  const cancelTimer = timeoutMs === undefined ? undefined : after(timeoutMs, () => done.abort());
  try {
    await watcher.start();
    check();
    await untilAborted(AbortSignal.any([done.signal, ...(io.signal === undefined ? [] : [io.signal])]));
  } finally {
    cancelTimer?.();
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
    .option(
      "--timeout <duration>",
      'with --wait: give up after this long ("30s", "10m", "1h" or seconds; default: no limit); 0 checks once and exits 2 if the release is not done',
    )
    .option("-o, --output <format>", "json or yaml: print the Rollout's status object at the end");
  return withClusterOptions(command).action(async (name: string, opts: StatusOptions) =>
    exit(await runStatus(name, opts, io)),
  );
}
