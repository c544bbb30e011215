// Compiles a release into a workflow definition (SPEC §6): per step `upgrade → traffic → analysis gates
// (parallel) → pause`, and `finally` the ordered finish (on success) or abort (otherwise). A rollback (the
// template set back to stable) is a run of its own: traffic back to stable, then hand the workload back.
//
// The definition depends on the spec only (never on the replica count, which is read at each reconcile), so
// it stays pinned for the whole release; editing the steps mid-release changes it (see reconcile.ts).
import type { EffectiveRolloutSpec, EffectiveStep } from "../api/defaults.ts";
import { movesEveryPod, trafficByStep } from "../plan/traffic.ts";
import type { RestoreMode } from "../traffic/step.ts";
import type { JsonObject, StepDefinition, WorkflowDefinition } from "../workflow/index.ts";

/** Step types the controller registers (steps/*.ts); traffic and analysis come from their own rooms. */
export const STEP_TYPES = {
  batch: "batch",
  pause: "pause",
  traffic: "traffic",
  analysis: "analysis",
  trafficRestore: "traffic-restore",
  finish: "finish",
  abort: "abort",
} as const;

export type RunKind = "release" | "rollback";

/** Sub-phases of one step, in the order they run. */
export type StepPhaseName = "upgrade" | "traffic" | "analysis" | "pause";

export const stepGroupName = (index: number): string => `step-${index}`;
export const stepPhaseName = (index: number, phase: StepPhaseName): string => `step-${index}.${phase}`;
export const FINALLY_NAMES = {
  finishTraffic: "finish.traffic",
  finish: "finish",
  abortTraffic: "abort.traffic",
  abort: "abort",
  rollbackTraffic: "rollback.traffic",
  rollbackRelease: "rollback.release",
  rollbackTrafficCleanup: "rollback.traffic-cleanup",
} as const;

/**
 * Traffic (src/traffic, docs/traffic.md). Step 1 starts by pinning the stable side (`step-1.traffic.pin`, weight
 * 0) so no canary pod is reachable by accident; abort and rollback route to stable before anything else (mode
 * `stable`), and finish removes the routing before the workload is released (mode `remove`).
 */
export const TRAFFIC_PIN_NAME = "step-1.traffic.pin";
const trafficUnpinName = (index: number): string => `${stepPhaseName(index, "traffic")}.unpin`;
/** The traffic sub-steps that run before a step's upgrade (pin or unpin), shown as the step's traffic phase. */
export const trafficPrepNames = (index: number): readonly string[] =>
  index === 1 ? [TRAFFIC_PIN_NAME, trafficUnpinName(index)] : [trafficUnpinName(index)];
const trafficRestore = (
  name: string,
  mode: RestoreMode,
  extra: Partial<StepDefinition> = {},
): StepDefinition => ({
  name,
  type: STEP_TYPES.trafficRestore,
  properties: { mode },
  retry: PERSISTENT_RETRY,
  ...extra,
});

/** A step name read back: which step of the release and which phase (undefined for finally steps). */
export function parseStepName(name: string): { index: number; phase: StepPhaseName | "group" } | undefined {
  const match = /^step-([0-9]+)(?:\.(upgrade|traffic|analysis|pause))?(?:\.|$)/.exec(name);
  if (match?.[1] === undefined) return undefined;
  return { index: Number(match[1]), phase: (match[2] as StepPhaseName | undefined) ?? "group" };
}

const SUCCEEDED = 'workflow.phase == "Succeeded"';
const NOT_SUCCEEDED = 'workflow.phase != "Succeeded"';

/**
 * Finally steps retry a conflict or an unreachable API server with backoff for hours (1000 tries, 30 s apart at most)
 * before giving up: a Rollout must not be left half-finished because of a transient error.
 */
const PERSISTENT_RETRY = { limit: 1_000, backoff: { initial: "1s", factor: 2, max: "30s" } } as const;
/** Main steps retry transient errors a few times; the progress deadline bounds them anyway. */
const MAIN_RETRY = { limit: 20, backoff: { initial: "1s", factor: 2, max: "30s" } } as const;
/** A safety net only: the controller is driven by watch events and by the timers steps ask for. */
const POLL_INTERVAL = "30s";

export function compileRelease(spec: EffectiveRolloutSpec): WorkflowDefinition {
  const routed = spec.trafficRouting !== null;
  const weights = trafficByStep(spec.steps);
  const steps = spec.steps.map((step, i) => compileStep(step, i + 1, routed ? (weights[i] ?? 0) : null));
  const finish: StepDefinition[] = [
    ...(routed ? [trafficRestore(FINALLY_NAMES.finishTraffic, "remove", { if: SUCCEEDED })] : []),
    { name: FINALLY_NAMES.finish, type: STEP_TYPES.finish, if: SUCCEEDED, retry: PERSISTENT_RETRY },
  ];
  const abort: StepDefinition[] = [
    ...(routed ? [trafficRestore(FINALLY_NAMES.abortTraffic, "stable", { if: NOT_SUCCEEDED })] : []),
    { name: FINALLY_NAMES.abort, type: STEP_TYPES.abort, if: NOT_SUCCEEDED, retry: PERSISTENT_RETRY },
  ];
  return {
    mode: "steps",
    steps,
    finally: [...finish, ...abort],
    finallyMode: "steps",
    pollInterval: POLL_INTERVAL,
    defaultRetry: MAIN_RETRY,
  };
}

function compileStep(step: EffectiveStep, index: number, weight: number | null): StepDefinition {
  // A step that moves every pod releases the pin first: the pinned stable Service would otherwise lose all its
  // endpoints while it still carries traffic (docs/traffic.md). Every other routed release pins before step 1.
  const everyPod = movesEveryPod(step);
  const pin: StepDefinition[] =
    weight === null
      ? []
      : everyPod
        ? [trafficRestore(trafficUnpinName(index), "unpin")]
        : index === 1
          ? [
              {
                name: TRAFFIC_PIN_NAME,
                type: STEP_TYPES.traffic,
                properties: { step: 1, weight: 0, matches: [] },
              },
            ]
          : [];
  const sub: StepDefinition[] = [
    ...pin,
    {
      name: stepPhaseName(index, "upgrade"),
      type: STEP_TYPES.batch,
      properties: { step: index, ...replicas(step) },
    },
  ];
  if (weight !== null) {
    const matches = step.matches.map((m) => ({ headers: m.headers.map((h) => ({ ...h })) }));
    sub.push({
      name: stepPhaseName(index, "traffic"),
      type: STEP_TYPES.traffic,
      properties: { step: index, weight, matches, ...(everyPod ? { pin: false } : {}) },
    });
  }
  if (step.analysis !== null) {
    const gates = step.analysis.templates.map((template, j): StepDefinition => ({
      name: `${stepPhaseName(index, "analysis")}.${j + 1}`,
      type: STEP_TYPES.analysis,
      properties: {
        step: index,
        template: { name: template.name, clusterScope: template.clusterScope ?? false },
        args: step.analysis?.args.map((a) => ({ name: a.name, value: a.value })) ?? [],
      },
    }));
    sub.push({ name: stepPhaseName(index, "analysis"), type: "group", group: { mode: "dag", steps: gates } });
  }
  if (step.pause.kind !== "none") {
    const properties: JsonObject =
      step.pause.kind === "duration" ? { step: index, seconds: step.pause.seconds } : { step: index };
    sub.push({ name: stepPhaseName(index, "pause"), type: STEP_TYPES.pause, properties });
  }
  return { name: stepGroupName(index), type: "group", group: { mode: "steps", steps: sub } };
}

function replicas(step: EffectiveStep): JsonObject {
  const r = step.replicas;
  return { replicas: r.kind === "percent" ? `${r.value}%` : r.value };
}

/** The run that hands a rolled-back workload to its native controller (SPEC §5.6 "Rollback"). */
export function compileRollback(spec: EffectiveRolloutSpec): WorkflowDefinition {
  const routed = spec.trafficRouting !== null;
  return {
    mode: "steps",
    steps: [
      // Traffic to stable first (the pin still selects the stable revision), the workload back to its native
      // controller, then the routing removed.
      ...(routed ? [trafficRestore(FINALLY_NAMES.rollbackTraffic, "stable")] : []),
      { name: FINALLY_NAMES.rollbackRelease, type: STEP_TYPES.finish, retry: PERSISTENT_RETRY },
      ...(routed ? [trafficRestore(FINALLY_NAMES.rollbackTrafficCleanup, "remove")] : []),
    ],
    pollInterval: POLL_INTERVAL,
  };
}

export function compileRun(kind: RunKind, spec: EffectiveRolloutSpec): WorkflowDefinition {
  switch (kind) {
    case "release":
      return compileRelease(spec);
    case "rollback":
      return compileRollback(spec);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown run kind ${String(unknown)}`);
    }
  }
}
