// What a command needs from the outside world, injected so tests run commands in-process.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

export interface DirectoryEntry {
  readonly name: string;
  readonly directory: boolean;
}

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  readonly readStdin: () => Promise<string>;
  /** The entries of a directory, or undefined when `path` is not one. Absent: `-f` takes files only. */
  readonly listDirectory?: (path: string) => Promise<readonly DirectoryEntry[] | undefined>;
  /** How stdout looks; absent means a plain 80-column pipe (what tests and CI logs get). */
  readonly terminal?: Terminal;
  /** Ends long-running commands (`get --watch`, `status --wait`); SIGINT does it for a real process. */
  readonly signal?: AbortSignal;
  /** The clock for ages and elapsed times; injected so renderings are reproducible. */
  readonly now?: () => number;
}

export interface Terminal {
  /** A TTY: `--watch` redraws in place instead of appending renderings. */
  readonly interactive: boolean;
  readonly columns: number;
  /** ANSI colours: only on a TTY and when NO_COLOR is unset (https://no-color.org). */
  readonly color: boolean;
}

export const PIPE_TERMINAL: Terminal = { interactive: false, columns: 80, color: false };

export function terminalOf(io: CliIo): Terminal {
  return io.terminal ?? PIPE_TERMINAL;
}

function processTerminal(): Terminal {
  const tty = process.stdout.isTTY === true;
  const noColor = process.env["NO_COLOR"] !== undefined && process.env["NO_COLOR"] !== "";
  return {
    interactive: tty,
    columns: tty ? Math.max(60, process.stdout.columns) : 80,
    color: tty && !noColor,
  };
}

/**
 * A repeat of a signal within this window is the same request delivered twice: under the bin's Node relay
 * (bin/slipway.js) a terminal's Ctrl-C reaches this process from the terminal and again from the relay.
 */
const DUPLICATE_SIGNAL_MS = 500;

/** Aborts on the first SIGINT/SIGTERM so watches stop cleanly (a second signal kills as usual). */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      controller.abort();
      return;
    }
    if (now - firstAt < DUPLICATE_SIGNAL_MS) return;
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.kill(process.pid, signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

export function processIo(): CliIo {
  // Created on first use: lint and plan must keep Node's default Ctrl-C behaviour.
  let signal: AbortSignal | undefined;
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFile(path, "utf8"),
    listDirectory,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return Buffer.concat(chunks).toString("utf8");
    },
    terminal: processTerminal(),
    get signal() {
      return (signal ??= interruptSignal());
    },
    now: Date.now,
  };
}

/** A directory's entries (symbolic links followed, as kubectl does), or undefined for anything else. */
export async function listDirectory(path: string): Promise<readonly DirectoryEntry[] | undefined> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    const out: DirectoryEntry[] = [];
    for (const e of entries) {
      const directory = e.isDirectory() || (e.isSymbolicLink() && (await isDirectory(join(path, e.name))));
      out.push({ name: e.name, directory });
    }
    return out;
  } catch (err) {
    if ((err as { code?: string }).code === "ENOTDIR") return undefined;
    throw err;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
