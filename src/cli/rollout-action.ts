// The shape every action command shares (approve, abort, retry, promote, pause, resume, undo): one Rollout
// by name, the kubectl connection flags, one write, a few lines saying what happened and what to do next,
// errors in plain words. The Kubernetes side is imported on first use: lint and plan must not pay for it.
import { Command } from "commander";
import { withClusterOptions, type ClusterOptions } from "./cluster-flags.ts";
import type { Connection } from "./connection.ts";
import type { CliIo } from "./io.ts";
import type * as RolloutsModule from "./rollouts.ts";

export interface ActionContext<O extends object> {
  readonly conn: Connection;
  readonly name: string;
  readonly opts: O & ClusterOptions;
  readonly io: CliIo;
  /** Reading and writing Rollouts (src/cli/rollouts.ts), loaded on demand. */
  readonly rollouts: typeof RolloutsModule;
}

export interface ActionSpec<O extends object> {
  readonly name: string;
  readonly description: string;
  /** "approve rollout" → errors read "cannot approve rollout shop/web: …". */
  readonly verb: string;
  readonly options?: (command: Command) => Command;
  /** Does the write; returns the lines to print. */
  readonly act: (context: ActionContext<O>) => Promise<readonly string[]>;
}

export async function runAction<O extends object>(
  spec: ActionSpec<O>,
  name: string,
  opts: O & ClusterOptions,
  io: CliIo,
): Promise<number> {
  const [{ withConnection }, rollouts] = await Promise.all([
    import("./connection.ts"),
    import("./rollouts.ts"),
  ]);
  return withConnection(
    opts,
    io,
    (ns) => `${spec.verb} ${ns}/${name}`,
    async (conn) => {
      for (const line of await spec.act({ conn, name, opts, io, rollouts })) io.stdout(`${line}\n`);
      return 0;
    },
  );
}

export function actionCommand<O extends object>(
  spec: ActionSpec<O>,
  io: CliIo,
  exit: (code: number) => void,
): Command {
  const command = new Command(spec.name).description(spec.description).argument("<name>", "the Rollout");
  return withClusterOptions(spec.options?.(command) ?? command).action(
    async (name: string, opts: O & ClusterOptions) => exit(await runAction(spec, name, opts, io)),
  );
}

/** The instant an action was asked for: the value of abort/retry, so each request is a new change. */
export function requestedAt(io: CliIo): string {
  return new Date(io.now?.() ?? Date.now()).toISOString();
}

/** `kubectl slipway get web -n shop --watch`: how to follow what the controller does next. */
export function followHint(conn: Connection, name: string): string {
  return `follow it with: kubectl slipway get ${name} -n ${conn.namespace} --watch`;
}
