// The slipway / kubectl-slipway command line: wiring only; each command lives in its own file.
import { Command, CommanderError } from "commander";
import { processIo, type CliIo } from "./io.ts";
import { abortCommand } from "./abort.ts";
import { approveCommand } from "./approve.ts";
import { getCommand } from "./get.ts";
import { lintCommand } from "./lint.ts";
import { pauseCommand } from "./pause.ts";
import { planCommand } from "./plan.ts";
import { webhookCommand } from "./webhook.ts";
import { controllerCommand } from "./controller.ts";
import { promoteCommand } from "./promote.ts";
import { resumeCommand } from "./resume.ts";
import { retryCommand } from "./retry.ts";
import { statusCommand } from "./status.ts";
import { undoCommand } from "./undo.ts";

export function buildProgram(io: CliIo, exit: (code: number) => void): Command {
  const program = new Command("slipway")
    .description("Progressive delivery for Kubernetes workloads")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const command of [
    lintCommand(io, exit),
    planCommand(io, exit),
    webhookCommand(io, exit),
    controllerCommand(io, exit),
    getCommand(io, exit),
    approveCommand(io, exit),
    abortCommand(io, exit),
    retryCommand(io, exit),
    promoteCommand(io, exit),
    pauseCommand(io, exit),
    resumeCommand(io, exit),
    undoCommand(io, exit),
    statusCommand(io, exit),
  ]) {
    program.addCommand(command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  }
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  try {
    await buildProgram(io, (c) => (code = c)).parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return code;
}

if (import.meta.main) process.exitCode = await main(process.argv);
