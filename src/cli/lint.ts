// `slipway lint -f FILE|DIR [-R]`: offline validation with the same rules as admission. A directory is linted
// file by file (like `kubectl apply -f DIR`), each file's result on its own lines.
import { Command } from "commander";
import { readInputs, type InputFile } from "./inputs.ts";
import { KIND_ROLLOUT } from "../api/names.ts";
import type { CliIo } from "./io.ts";
import type { Manifest } from "./manifests.ts";
import { parseReplicasFlag } from "./replica-count.ts";
import { stepOrderFindings } from "./step-order-lint.ts";
import { templateArgFindings } from "./template-args-lint.ts";
import { validateManifests, type Checked } from "./validate.ts";

export interface LintOptions {
  readonly filename: string;
  readonly recursive?: boolean;
  /** Replica count to judge the steps at (default: the workload's spec.replicas, when in the input). */
  readonly replicas?: string;
}

interface FileLint {
  readonly name: string;
  /** Lines that already name the file (YAML syntax errors carry file:line:column). */
  readonly syntax: readonly string[];
  /** `<Kind>/<name>: <field path>: <message>`. */
  readonly problems: readonly string[];
  readonly valid: readonly Checked[];
  readonly others: number;
  /** `warning: …` lines: they do not fail the lint. */
  readonly warnings: readonly string[];
}

const NOTHING = "no Rollout, AnalysisTemplate or ClusterAnalysisTemplate found";
const CHECK_API_VERSION = "check apiVersion rollouts.slipway.dev/v1alpha1";

/**
 * One file: exit 0 with one OK line when every Slipway object is valid, else exit 1 with one line per problem.
 * A directory: one result per file (problems prefixed with the file), exit 1 when any file has a problem or
 * no file holds a Slipway object.
 */
export async function runLint(opts: LintOptions, io: CliIo): Promise<number> {
  if (opts.replicas !== undefined && "error" in parseReplicasFlag(opts.replicas)) {
    io.stderr(`--replicas ${opts.replicas}: use a whole number >= 0\n`);
    return 1;
  }
  const inputs = await readInputs(opts.filename, opts.recursive === true, io);
  if ("error" in inputs) {
    io.stderr(`${inputs.error}\n`);
    return 1;
  }
  // A workload may sit in another file of the directory than its Rollout.
  const manifests = inputs.files.flatMap((f) => (f.loaded.ok ? f.loaded.manifests : []));
  const results = inputs.files.map((f) => lintFile(f, opts.replicas, manifests));
  const [only] = results;
  return inputs.directory || only === undefined
    ? reportDirectory(opts.filename, results, io)
    : reportFile(only, io);
}

function lintFile(file: InputFile, replicas: string | undefined, manifests: readonly Manifest[]): FileLint {
  if (!file.loaded.ok) {
    return { name: file.name, syntax: file.loaded.errors, problems: [], valid: [], others: 0, warnings: [] };
  }
  const { valid, problems, others } = validateManifests(file.loaded.manifests);
  const stepProblems: string[] = [];
  const warnings: string[] = [];
  for (const checked of valid) {
    if (checked.kind !== KIND_ROLLOUT) continue;
    const found = stepOrderFindings(checked.value, replicas, manifests);
    stepProblems.push(...found.errors.map((e) => `${checked.ref}: ${e}`));
    warnings.push(...found.warnings.map((w) => `warning: ${checked.ref}: ${w}`));
    stepProblems.push(...templateArgFindings(checked.value, manifests).map((e) => `${checked.ref}: ${e}`));
  }
  return {
    name: file.name,
    syntax: [],
    problems: [...problems, ...stepProblems],
    valid,
    others: others.length,
    warnings,
  };
}

function reportFile(file: FileLint, io: CliIo): number {
  if (file.warnings.length > 0) io.stderr(lines(file.warnings));
  const errors = [...file.syntax, ...file.problems];
  if (errors.length > 0) {
    io.stderr(lines(errors));
    return 1;
  }
  if (file.valid.length === 0) {
    io.stderr(`${file.name}: ${NOTHING}: nothing to lint (${CHECK_API_VERSION})\n`);
    return 1;
  }
  io.stdout(`OK: ${verdict(file)}\n`);
  return 0;
}

function reportDirectory(dir: string, files: readonly FileLint[], io: CliIo): number {
  let failed = 0;
  for (const file of files) {
    if (file.warnings.length > 0) io.stderr(lines(file.warnings.map((w) => `${file.name}: ${w}`)));
    if (file.syntax.length > 0 || file.problems.length > 0) {
      failed += 1;
      io.stderr(lines([...file.syntax, ...file.problems.map((p) => `${file.name}: ${p}`)]));
    } else if (file.valid.length > 0) {
      io.stdout(`${file.name}: OK: ${verdict(file)}\n`);
    } else {
      io.stdout(`${file.name}: no Slipway objects (${plural(file.others, "other object")} ignored)\n`);
    }
  }
  if (failed > 0) {
    io.stderr(
      `${dir}: ${failed} of ${plural(files.length, "file")} ${failed === 1 ? "has" : "have"} problems\n`,
    );
    return 1;
  }
  if (files.every((f) => f.valid.length === 0)) {
    io.stderr(
      `${dir}: ${NOTHING} in ${plural(files.length, "file")}: nothing to lint (${CHECK_API_VERSION})\n`,
    );
    return 1;
  }
  return 0;
}

function verdict(file: FileLint): string {
  const ignored = file.others > 0 ? ` (${plural(file.others, "other object")} ignored)` : "";
  return `${summary(file.valid)} valid${ignored}`;
}

function lines(texts: readonly string[]): string {
  return texts.map((t) => `${t}\n`).join("");
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
    .requiredOption(
      "-f, --filename <path>",
      "manifest file (multi-document YAML or JSON), a directory of .yaml/.yml/.json files, or - for stdin",
    )
    .option("-R, --recursive", "with a directory: also read its subdirectories")
    .option(
      "--replicas <n>",
      "replica count at which steps must not shrink the canary (default: spec.replicas of the Rollout's workload, when in the input)",
    )
    .action(async (opts: LintOptions) => exit(await runLint(opts, io)));
}
