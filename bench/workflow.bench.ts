// Workflow engine micro-benchmark. Not part of `npm test`. Run with:
//
//   npm exec -- node bench/workflow.bench.ts
//
// Prints ticks per second for a 50-step workflow and a 1,000-node DAG (each step waits once, then succeeds,
// so every step costs two invocations), the cost of an idle tick (a reconcile that finds nothing due), the
// compile time of each definition, and the serialised state size; writes bench/results/workflow.json.
// Numbers on a shared machine are noisy: compare ratios from one run, never assert them in a test.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import {
  createRegistry,
  startRun,
  succeeded,
  tick,
  validateDefinition,
  wait,
} from "../src/workflow/index.ts";
import type { StepDefinition, WorkflowDefinition, WorkflowState } from "../src/workflow/index.ts";
import { simulate } from "../src/workflow/simulate.ts";

const registry = createRegistry({
  // Waits one second after its first start, then succeeds with a small output: a typical polling step.
  work: (ctx) =>
    ctx.now >= ctx.firstStartedAt + 1_000
      ? succeeded({ revision: "7c9d8b6f5", replicas: 5 })
      : { ...wait("waiting for pods", ctx.firstStartedAt + 1_000), memory: { polls: 1 } },
});

function fiftySteps(): WorkflowDefinition {
  // Shaped like a compiled 10-step release: per step upgrade → traffic → two analysis gates → pause.
  const steps: StepDefinition[] = [];
  for (let index = 1; index <= 10; index++) {
    steps.push(
      { name: `upgrade-${index}`, type: "work", properties: { replicas: `${index * 10}%` }, timeout: "10m" },
      { name: `traffic-${index}`, type: "work", properties: { weight: index * 10 } },
      { name: `success-rate-${index}`, type: "work", retry: { limit: 3 }, dependsOn: [`traffic-${index}`] },
      { name: `latency-${index}`, type: "work", retry: { limit: 3 }, dependsOn: [`traffic-${index}`] },
      {
        name: `pause-${index}`,
        type: "work",
        dependsOn: [`success-rate-${index}`, `latency-${index}`],
        if: `steps["success-rate-${index}"].phase == "Succeeded"`,
      },
    );
  }
  // Chain the release steps: each upgrade waits for the previous pause.
  const chained = steps.map((step, index) =>
    step.name.startsWith("upgrade-") && index > 0
      ? { ...step, dependsOn: [steps[index - 1]?.name ?? ""] }
      : step.name.startsWith("traffic-")
        ? { ...step, dependsOn: [steps[index - 1]?.name ?? ""] }
        : step,
  );
  return { mode: "dag", steps: chained, finally: [{ name: "cleanup", type: "work" }] };
}

/** A random DAG (fixed seed): node i depends on up to 3 of the 20 nodes before it. */
function thousandNodeDag(): WorkflowDefinition {
  let seed = 42;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const steps: StepDefinition[] = [];
  for (let index = 0; index < 1_000; index++) {
    const deps = new Set<string>();
    const count = index === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) deps.add(`n${Math.max(0, index - 1 - Math.floor(random() * 20))}`);
    steps.push({ name: `n${index}`, type: "work", ...(deps.size > 0 ? { dependsOn: [...deps] } : {}) });
  }
  return { mode: "dag", steps };
}

interface Measurement {
  readonly steps: number;
  readonly ticksPerRun: number;
  readonly ticksPerSecond: number;
  readonly ticksPerSecondWithJsonRoundTrip: number;
  readonly idleTickMicros: number;
  readonly compileMillis: number;
  readonly finalStateBytes: number;
  readonly peakStateBytes: number;
}

async function timedRuns(
  definition: WorkflowDefinition,
  minMillis: number,
  roundTrip: boolean,
): Promise<number> {
  let ticks = 0;
  const started = performance.now();
  while (performance.now() - started < minMillis) {
    const run = await simulate(definition, registry, {
      maxTicks: 10_000,
      between: roundTrip ? (result) => JSON.parse(JSON.stringify(result.state)) as WorkflowState : undefined,
    });
    ticks += run.ticks.length;
  }
  return ticks / ((performance.now() - started) / 1_000);
}

async function measure(name: string, definition: WorkflowDefinition): Promise<Measurement> {
  const problems = validateDefinition(definition, registry);
  if (problems.length > 0) throw new Error(`${name}: ${problems.join("; ")}`);
  let peakStateBytes = 0;
  const warm = await simulate(definition, registry, {
    maxTicks: 10_000,
    between: (result) => {
      peakStateBytes = Math.max(peakStateBytes, Buffer.byteLength(JSON.stringify(result.state)));
      return result.state;
    },
  });
  const finalStateBytes = Buffer.byteLength(JSON.stringify(warm.state));
  peakStateBytes = Math.max(peakStateBytes, finalStateBytes);

  for (let round = 0; round < 10; round++) validateDefinition(structuredClone(definition), registry); // warm-up
  const compileRounds = 50;
  let compileTotal = 0;
  for (let round = 0; round < compileRounds; round++) {
    const fresh = structuredClone(definition); // a new object: no cache hit by identity
    const started = performance.now();
    validateDefinition(fresh, registry);
    compileTotal += performance.now() - started;
  }

  // An idle tick: the first step is waiting for its `until`, so the tick only checks and returns.
  const first = await tick(definition, startRun(definition, "idle", 0), 0, registry);
  const idleRounds = 2_000;
  const idleStarted = performance.now();
  for (let round = 0; round < idleRounds; round++) await tick(definition, first.state, 500, registry);
  const idleTickMicros = ((performance.now() - idleStarted) * 1_000) / idleRounds;

  return {
    steps: warm.state.steps === undefined ? 0 : Object.keys(warm.state.steps).length,
    ticksPerRun: warm.ticks.length,
    ticksPerSecond: await timedRuns(definition, 2_000, false),
    ticksPerSecondWithJsonRoundTrip: await timedRuns(definition, 2_000, true),
    idleTickMicros,
    compileMillis: compileTotal / compileRounds,
    finalStateBytes,
    peakStateBytes,
  };
}

const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  fiftyStepWorkflow: await measure("50-step workflow", fiftySteps()),
  thousandNodeDag: await measure("1,000-node DAG", thousandNodeDag()),
};

const round = (value: number): number => Math.round(value * 10) / 10;
for (const [label, result] of [
  ["50-step workflow", results.fiftyStepWorkflow],
  ["1,000-node DAG", results.thousandNodeDag],
] as const) {
  console.log(
    `${label}: ${result.steps} steps, ${result.ticksPerRun} ticks per run; ` +
      `${round(result.ticksPerSecond)} ticks/s (${round(result.ticksPerSecondWithJsonRoundTrip)} with a JSON ` +
      `round trip per tick); idle tick ${round(result.idleTickMicros)} µs; compile ${round(result.compileMillis)} ms; ` +
      `state ${result.finalStateBytes} bytes at the end, ${result.peakStateBytes} at most`,
  );
}
mkdirSync(new URL("results/", import.meta.url), { recursive: true });
writeFileSync(new URL("results/workflow.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log("wrote bench/results/workflow.json");
