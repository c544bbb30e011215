// `slipway lint -f FILE`: offline validation with the same rules as admission.
import { Command } from "commander";
import { readInput, sourceName, type CliIo } from "./io.ts";
import { loadManifests } from "./manifests.ts";
import { validateManifests, type Checked } from "./validate.ts";

export interface LintOptions {
  readonly filename: string;
}

/** Exit 0 with one OK line when every Slipway object is valid; else exit 1 with one line per problem. */
export async function runLint(opts: LintOptions, io: CliIo): Promise<number> {
  const input = await readInput(opts.filename, io);
  if ("error" in input) {
    io.stderr(`${input.error}\n`);
    return 1;
  }
  const source = sourceName(opts.filename);
  const loaded = loadManifests(input.text, source);
  if (!loaded.ok) {
    io.stderr(loaded.errors.map((e) => `${e}\n`).join(""));
    return 1;
  }
  const { valid, problems, others } = validateManifests(loaded.manifests);
  if (problems.length > 0) {
    io.stderr(problems.map((p) => `${p}\n`).join(""));
    return 1;
  }
  if (valid.length === 0) {
    io.stderr(
      `${source}: no Rollout, AnalysisTemplate or ClusterAnalysisTemplate found: nothing to lint (check apiVersion rollouts.slipway.dev/v1alpha1)\n`,
    );
    return 1;
  }
  const ignored = others.length > 0 ? ` (${plural(others.length, "other object")} ignored)` : "";
  io.stdout(`OK: ${summary(valid)} valid${ignored}\n`);
  return 0;
}

function summary(valid: readonly Checked[]): string {
  const counts = new Map<string, number>();
  for (const c of valid) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => plural(n, kind)).join(", ");
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export function lintCommand(io: CliIo, exit: (code: number) => void): Command {
  return new Command("lint")
    .description("validate Rollouts and AnalysisTemplates offline with the same rules as admission")
    .requiredOption("-f, --filename <file>", "manifest file (multi-document YAML or JSON); - reads stdin")
    .action(async (opts: LintOptions) => exit(await runLint(opts, io)));
}
