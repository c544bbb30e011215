// What a command needs from the outside world, injected so tests run commands in-process.
import { readFile } from "node:fs/promises";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  readonly readStdin: () => Promise<string>;
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

/** Reads `-f FILE` (`-` is stdin). Returns the text, or an error line naming the file and the cause. */
export async function readInput(file: string, io: CliIo): Promise<{ text: string } | { error: string }> {
  try {
    return { text: file === "-" ? await io.readStdin() : await io.readFile(file) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : String(err);
    return { error: `${file}: cannot read: ${why}` };
  }
}

/** Displays the input's name in messages. */
export function sourceName(file: string): string {
  return file === "-" ? "<stdin>" : file;
}
