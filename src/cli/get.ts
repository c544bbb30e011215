// `kubectl slipway get [NAME] [--watch] [-o json|yaml] [-n NS | -A]`: the release as a person wants to see
// it. With --watch the view is redrawn from watch events (informers), never by polling.
import { Command } from "commander";
import { withClusterOptions, type ClusterOptions } from "./cluster-flags.ts";
import type { Connection } from "./connection.ts";
import { terminalOf, type CliIo } from "./io.ts";
import { formatObject, listOf, parseFormat, printObject, type ObjectFormat } from "./output.ts";
import { renderRollout } from "./render/rollout-view.ts";
import { renderRolloutTable } from "./render/rollout-table.ts";

export interface GetOptions extends ClusterOptions {
  readonly watch?: boolean;
  readonly output?: string;
}

const CLEAR_SCREEN = "\u001b[H\u001b[2J";

export async function runGet(name: string | undefined, opts: GetOptions, io: CliIo): Promise<number> {
  const parsed = parseFormat(opts.output);
  if ("error" in parsed) {
    io.stderr(`error: ${parsed.error}\n`);
    return 1;
  }
  if (name !== undefined && opts.allNamespaces === true) {
    io.stderr("error: a Rollout NAME lives in one namespace: use -n NAMESPACE instead of -A\n");
    return 1;
  }
  const doing = (ns: string) =>
    name === undefined
      ? `list rollouts in ${opts.allNamespaces ? "all namespaces" : `namespace ${ns}`}`
      : `get rollout ${ns}/${name}`;
  const { withConnection } = await import("./connection.ts");
  return withConnection(opts, io, doing, (conn) =>
    opts.watch === true ? watch(conn, name, parsed.format, io) : once(conn, name, parsed.format, io),
  );
}

async function once(conn: Connection, name: string | undefined, format: ObjectFormat | undefined, io: CliIo) {
  const { listRollouts, readMetrics, readRollout, readWorkload } = await import("./rollouts.ts");
  const now = io.now?.() ?? Date.now();
  const term = terminalOf(io);
  if (name !== undefined) {
    const { raw, rollout } = await readRollout(conn, name);
    if (format !== undefined) {
      printObject(io, format, raw);
      return 0;
    }
    const [workload, metrics] = await Promise.all([
      readWorkload(conn.client, rollout),
      readMetrics(conn.client, rollout),
    ]);
    io.stdout(renderRollout({ rollout, workload, metrics }, { width: term.columns, color: term.color, now }));
    return 0;
  }
  const items = await listRollouts(conn);
  if (format !== undefined) {
    printObject(io, format, listOf(items.map((i) => i.raw)));
    return 0;
  }
  if (items.length === 0) {
    io.stderr(`No Rollouts found${conn.allNamespaces ? "" : ` in namespace ${conn.namespace}`}.\n`);
    return 0;
  }
  io.stdout(
    renderRolloutTable(
      items.map((i) => i.rollout),
      { allNamespaces: conn.allNamespaces, now },
    ),
  );
  return 0;
}

async function watch(
  conn: Connection,
  name: string | undefined,
  format: ObjectFormat | undefined,
  io: CliIo,
) {
  const [{ readMetrics, readRollout }, { RolloutWatcher }] = await Promise.all([
    import("./rollouts.ts"),
    import("./watch.ts"),
  ]);
  const term = terminalOf(io);
  // A missing Rollout is an error at once (as kubectl get -w), not an empty screen.
  const first = name === undefined ? undefined : await readRollout(conn, name);
  const metrics = first === undefined ? new Map() : await readMetrics(conn.client, first.rollout);
  let last = "";
  let code = 0;
  const stopped = new AbortController();
  const draw = (): void => {
    const items = watcher.current();
    if (name !== undefined && items.length === 0) {
      io.stderr(`rollout ${conn.namespace}/${name} was deleted\n`);
      code = 1;
      stopped.abort();
      return;
    }
    const now = io.now?.() ?? Date.now();
    let text: string;
    if (format !== undefined) {
      const obj = name === undefined ? listOf(items.map((i) => i.raw)) : items[0]?.raw;
      text = formatObject(format, obj);
    } else if (name !== undefined && items[0] !== undefined) {
      const { rollout, workload } = items[0];
      text = renderRollout({ rollout, workload, metrics }, { width: term.columns, color: term.color, now });
    } else {
      text = renderRolloutTable(
        items.map((i) => i.rollout),
        { allNamespaces: conn.allNamespaces, now },
      );
    }
    if (term.interactive) {
      io.stdout(`${CLEAR_SCREEN}${text}`);
    } else if (text !== last) {
      io.stdout(last === "" ? text : `${"─".repeat(Math.min(term.columns, 80))}\n${text}`);
    }
    last = text;
  };
  const watcher = new RolloutWatcher(conn, name, draw);
  try {
    await watcher.start();
    draw();
    // On a terminal, ages and "for 3m" tick every second from the cached objects (no API calls).
    const ticker = term.interactive && format === undefined ? setInterval(draw, 1000) : undefined;
    await untilAborted(AbortSignal.any([stopped.signal, ...(io.signal === undefined ? [] : [io.signal])]));
    if (ticker !== undefined) clearInterval(ticker);
  } finally {
    await watcher.stop();
  }
  return code;
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

export function getCommand(io: CliIo, exit: (code: number) => void): Command {
  const command = new Command("get")
    .description("show Rollouts: one in detail (steps, pods, traffic, analysis, pauses) or a table of all")
    .argument("[name]", "the Rollout to show in detail; without it, a table of Rollouts")
    .option("-w, --watch", "keep the view up to date from watch events (Ctrl-C to stop)")
    .option("-o, --output <format>", "json or yaml: print the object(s) instead of the view");
  return withClusterOptions(command, { allNamespaces: true }).action(
    async (name: string | undefined, opts: GetOptions) => exit(await runGet(name, opts, io)),
  );
}
