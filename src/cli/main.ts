import { Command } from "commander";

export function buildProgram(): Command {
  const program = new Command("slipway")
    .description("Progressive delivery for Kubernetes workloads")
    .version("0.1.0");
  return program;
}

await buildProgram().parseAsync(process.argv);
