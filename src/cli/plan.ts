// `slipway plan -f FILE [--replicas N] [-o json|yaml]`: what each step does at a given size, offline.
import { Command } from "commander";
import { stringify } from "yaml";
import { formatDuration } from "../api/primitives.ts";
import type { Pause } from "../api/defaults.ts";
import { KIND_ROLLOUT } from "../api/names.ts";
import { parseRollout } from "../api/parse.ts";
import type { Rollout } from "../api/rollout.ts";
import { resolveRollout, type Plan } from "../plan/resolve.ts";
import { readInputs } from "./inputs.ts";
import type { CliIo } from "./io.ts";
import { identify, type Manifest } from "./manifests.ts";
import { replicaCountFor } from "./replica-count.ts";
import { renderTable } from "./table.ts";
import { isSlipway, problemLines, refOf } from "./validate.ts";

export interface PlanOptions {
  readonly filename: string;
  readonly recursive?: boolean;
  readonly replicas?: string;
  readonly output?: string;
  readonly name?: string;
}

type Fail = { readonly error: string };

export async function runPlan(opts: PlanOptions, io: CliIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr(`${message}\n`);
    return 1;
  };
  const output = opts.output ?? "table";
  if (!["table", "json", "yaml"].includes(output)) return fail(`-o ${output}: use table, json or yaml`);
  const inputs = await readInputs(opts.filename, opts.recursive === true, io);
  if ("error" in inputs) return fail(inputs.error);
  const syntax = inputs.files.flatMap((f) => (f.loaded.ok ? [] : f.loaded.errors));
  if (syntax.length > 0) return fail(syntax.join("\n"));
  // A directory is one set of manifests, as for `kubectl apply -f DIR`: the Rollout and its workload may
  // sit in different files.
  const manifests = inputs.files.flatMap((f) => (f.loaded.ok ? f.loaded.manifests : []));
  const source = opts.filename === "-" ? "<stdin>" : opts.filename;

  const picked = pickRollout(manifests, opts.name, source);
  if ("error" in picked) return fail(picked.error);
  const ref = refOf(picked);
  const parsed = parseRollout(picked.object);
  if (!parsed.ok) return fail(problemLines(ref, parsed.problems).join("\n"));
  const rollout = parsed.value;

  const size = replicaCountFor(rollout, opts.replicas, manifests);
  if ("error" in size) return fail(size.error);
  if ("missing" in size) {
    const where = inputs.directory ? "in none of its files" : "not in the file";
    return fail(`${source}: ${size.missing} is ${where}: pass --replicas N to plan without it`);
  }
  const plan = resolveRollout(rollout.spec, size.replicas);
  for (const w of plan.warnings) io.stderr(`warning: ${ref}: ${w.path}: ${w.message}\n`);
  if (output === "json") io.stdout(`${JSON.stringify(plan.steps, null, 2)}\n`);
  else if (output === "yaml") io.stdout(stringify(plan.steps, { version: "1.1" }));
  else io.stdout(renderPlan(rollout, plan, size.from));
  // The plan is printed anyway (its numbers show the problem); the controller would refuse this release.
  for (const e of plan.errors) io.stderr(`error: ${ref}: ${e.path}: ${e.message}\n`);
  return plan.errors.length > 0 ? 1 : 0;
}

/** The Rollout to plan: the only one in the file, or the one named by --name. */
function pickRollout(
  manifests: readonly Manifest[],
  name: string | undefined,
  source: string,
): Manifest | Fail {
  const rollouts = manifests.filter((m) => {
    const id = identify(m.object);
    return id.kind === KIND_ROLLOUT && isSlipway(id.apiVersion) && (name === undefined || id.name === name);
  });
  const [first, ...rest] = rollouts;
  if (!first) return { error: `${source}: no Rollout${name === undefined ? "" : ` named ${name}`} to plan` };
  if (rest.length > 0) {
    const names = rollouts.map((m) => identify(m.object).name ?? "(unnamed)").join(", ");
    return { error: `${source}: holds ${rollouts.length} Rollouts (${names}): pick one with --name` };
  }
  return first;
}

function trafficText(traffic: number | null, matches: number): string {
  const weight = traffic === null ? "-" : `${traffic}%`;
  return matches === 0 ? weight : `${weight} + ${matches} match${matches === 1 ? "" : "es"}`;
}

function pauseText(pause: Pause): string {
  switch (pause.kind) {
    case "none":
      return "-";
    case "approval":
      return "approval";
    case "duration":
      return formatDuration(pause.seconds);
  }
}

export function renderPlan(rollout: Rollout, plan: Plan, from: string): string {
  const ns = rollout.metadata.namespace ? `${rollout.metadata.namespace}/` : "";
  const ref = rollout.spec.workloadRef;
  const rows = plan.steps.map((s, i) => [
    String(s.step),
    String(s.canaryReplicas),
    String(s.stableReplicas),
    trafficText(s.traffic, rollout.spec.strategy.canary.steps[i]?.matches?.length ?? 0),
    s.analysis.length > 0 ? s.analysis.join(",") : "-",
    pauseText(s.pause),
  ]);
  const notes: string[] = [];
  if (plan.steps.every((s) => s.traffic === null)) {
    notes.push("no trafficRouting: the Service spreads requests over stable and canary pods");
  }
  if (plan.backgroundAnalysis) {
    const bg = plan.backgroundAnalysis;
    notes.push(
      `background analysis: ${bg.templates.join(",")} from step ${bg.startingStep} until the release ends`,
    );
  }
  if (plan.remainingAfterLastStep > 0) {
    notes.push(
      `after step ${plan.steps.length} the release completes: the other ${plan.remainingAfterLastStep} pod(s) ` +
        `move to the canary through the ${ref.kind}'s own strategy`,
    );
  }
  return (
    `Rollout ${ns}${rollout.metadata.name}: ${ref.kind}/${ref.name} at ${plan.replicas} replicas (from ${from})\n` +
    renderTable(["STEP", "CANARY", "STABLE", "TRAFFIC", "ANALYSIS", "PAUSE"], rows) +
    notes.map((n) => `${n}\n`).join("")
  );
}

export function planCommand(io: CliIo, exit: (code: number) => void): Command {
  return new Command("plan")
    .description("print each step's pods, traffic, gates and pause for a Rollout, without a cluster")
    .requiredOption(
      "-f, --filename <path>",
      "manifest file with the Rollout (and its workload), a directory of .yaml/.yml/.json files, or - for stdin",
    )
    .option("-R, --recursive", "with a directory: also read its subdirectories")
    .option(
      "--replicas <n>",
      "replica count to plan for (default: spec.replicas of the workload in the file)",
    )
    .option("--name <name>", "the Rollout to plan when the file holds several")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (opts: PlanOptions) => exit(await runPlan(opts, io)));
}
