// `slipway plan -f FILE [--replicas N] [-o json|yaml]`: what each step does at a given size, offline.
import { Command } from "commander";
import { stringify } from "yaml";
import { formatDuration } from "../api/primitives.ts";
import type { Pause } from "../api/defaults.ts";
import { KIND_ROLLOUT } from "../api/names.ts";
import { parseRollout } from "../api/parse.ts";
import type { Rollout } from "../api/rollout.ts";
import { resolveRollout, type Plan } from "../plan/resolve.ts";
import { readInput, sourceName, type CliIo } from "./io.ts";
import { identify, loadManifests, type Manifest } from "./manifests.ts";
import { renderTable } from "./table.ts";
import { isSlipway, problemLines, refOf } from "./validate.ts";

export interface PlanOptions {
  readonly filename: string;
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
  const input = await readInput(opts.filename, io);
  if ("error" in input) return fail(input.error);
  const source = sourceName(opts.filename);
  const loaded = loadManifests(input.text, source);
  if (!loaded.ok) return fail(loaded.errors.join("\n"));

  const picked = pickRollout(loaded.manifests, opts.name, source);
  if ("error" in picked) return fail(picked.error);
  const ref = refOf(picked);
  const parsed = parseRollout(picked.object);
  if (!parsed.ok) return fail(problemLines(ref, parsed.problems).join("\n"));
  const rollout = parsed.value;

  const size = replicasFor(rollout, opts.replicas, loaded.manifests, source);
  if ("error" in size) return fail(size.error);
  const plan = resolveRollout(rollout.spec, size.replicas);
  for (const w of plan.warnings) io.stderr(`warning: ${ref}: ${w.path}: ${w.message}\n`);
  if (output === "json") io.stdout(`${JSON.stringify(plan.steps, null, 2)}\n`);
  else if (output === "yaml") io.stdout(stringify(plan.steps, { version: "1.1" }));
  else io.stdout(renderPlan(rollout, plan, size.from));
  return 0;
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

function replicasFor(
  rollout: Rollout,
  flag: string | undefined,
  manifests: readonly Manifest[],
  source: string,
): { readonly replicas: number; readonly from: string } | Fail {
  if (flag !== undefined) {
    if (!/^[0-9]+$/.test(flag)) return { error: `--replicas ${flag}: use a whole number >= 0` };
    return { replicas: Number(flag), from: "--replicas" };
  }
  const ref = rollout.spec.workloadRef;
  const workload = manifests.find((m) => {
    const id = identify(m.object);
    const ns = rollout.metadata.namespace;
    const sameNs = ns === undefined || id.namespace === undefined || id.namespace === ns;
    return id.apiVersion === ref.apiVersion && id.kind === ref.kind && id.name === ref.name && sameNs;
  });
  const wanted = `${ref.kind}/${ref.name}`;
  if (!workload)
    return { error: `${source}: ${wanted} is not in the file: pass --replicas N to plan without it` };
  const spec = (workload.object as { spec?: { replicas?: unknown } }).spec;
  const replicas = spec?.replicas ?? 1; // the API server's default for all three kinds
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    return {
      error: `${wanted}: spec.replicas ${JSON.stringify(replicas)} is not a whole number: fix it or pass --replicas N`,
    };
  }
  return { replicas, from: spec?.replicas === undefined ? `${wanted} (spec.replicas unset: 1)` : wanted };
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
      "-f, --filename <file>",
      "manifest file with the Rollout (and its workload); - reads stdin",
    )
    .option(
      "--replicas <n>",
      "replica count to plan for (default: spec.replicas of the workload in the file)",
    )
    .option("--name <name>", "the Rollout to plan when the file holds several")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (opts: PlanOptions) => exit(await runPlan(opts, io)));
}
