// Workflow step types (src/workflow) the Rollout reconciler registers:
//   traffic          {step, weight, matches}  a step's traffic: ensure, then the grace period
//   traffic-restore  {mode: stable | remove}  abort/rollback (route to stable) or finish (remove routing)
// Each invocation applies at most one stage, then waits `gracePeriodSeconds`; the step succeeds only when an
// invocation finds nothing left to change and the grace period after the last change has passed.
//
// Crash safety: before each write the step persists that it is about to change traffic (memory.pendingAt)
// and only writes on its next invocation. A controller killed after a write but before the state was saved
// finds pendingAt on restart and nothing left to write, so it waits a full grace period from then instead of
// skipping it, and never writes twice.
import {
  succeeded,
  wait,
  type JsonObject,
  type JsonValue,
  type StepContext,
  type StepOutcome,
  type StepType,
} from "../workflow/index.ts";
import type { TrafficIO } from "./io.ts";
import { advance, type TrafficOperation } from "./session.ts";
import type { DesiredTraffic, HeaderCondition, TrafficMatch, TrafficTarget } from "./types.ts";

export interface TrafficStepEnv {
  readonly io: TrafficIO;
  /** The release's routing, or why it cannot be built yet (e.g. the canary revision is not known). */
  readonly target: TrafficTarget | { readonly problem: string };
}

interface TrafficMemory {
  /** A write is due and was announced; the next invocation applies it. */
  readonly pendingAt?: number;
  /** When this step last changed traffic; the grace period counts from here. */
  readonly changedAt?: number;
}

/** How soon to re-read after a write lost a race (the informer event may not come: these objects are not watched). */
const STALE_RETRY_MS = 1_000;

function memoryOf(value: JsonValue | undefined): TrafficMemory {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const m = value as JsonObject;
  return {
    ...(typeof m["pendingAt"] === "number" ? { pendingAt: m["pendingAt"] } : {}),
    ...(typeof m["changedAt"] === "number" ? { changedAt: m["changedAt"] } : {}),
  };
}

function toMemory(m: TrafficMemory): JsonObject {
  return { ...m };
}

/** Drives one operation to done: announce, then write one stage, then the grace period; until nothing is left. */
async function drive(
  env: TrafficStepEnv,
  ctx: StepContext,
  label: string,
  operation: TrafficOperation,
  desired: DesiredTraffic | undefined,
  outputs: JsonObject,
): Promise<StepOutcome> {
  const memory = memoryOf(ctx.memory);
  if ("problem" in env.target) return wait(`${label}: ${env.target.problem}`);
  const target = env.target;
  const graceMs = target.routing.gracePeriodSeconds * 1000;
  const progress = await advance(env.io, target, operation, {
    ...(desired === undefined ? {} : { desired }),
    apply: memory.pendingAt !== undefined,
  });
  const graceUntil = (changedAt: number) => ({
    ...wait(
      `${label}: grace period until ${new Date(changedAt + graceMs).toISOString()}`,
      changedAt + graceMs,
    ),
    memory: toMemory({ changedAt }),
  });
  switch (progress.kind) {
    case "blocked":
      return { ...wait(`${label}: ${progress.problem}`), memory: toMemory(memory) };
    case "pending":
      // Invoked again right away (until: now + 1 ms), once the engine has persisted this memory.
      return {
        ...wait(`${label}: about to ${progress.changes.join("; ")}`, ctx.now + 1),
        memory: toMemory({ ...memory, pendingAt: ctx.now }),
      };
    case "stale":
      return {
        ...wait(
          `${label}: re-reading after a concurrent change (${progress.change})`,
          ctx.now + STALE_RETRY_MS,
        ),
        memory: toMemory(memory),
      };
    case "changed": {
      const until = ctx.now + graceMs;
      const changes = progress.changes.join("; ");
      return {
        ...wait(`${label}: ${changes}; grace period until ${new Date(until).toISOString()}`, until),
        memory: toMemory({ changedAt: ctx.now }),
      };
    }
    case "done":
      // Announced but nothing left to write: the write may have happened just before a crash.
      if (memory.pendingAt !== undefined) return graceUntil(ctx.now);
      if (memory.changedAt !== undefined && ctx.now < memory.changedAt + graceMs) {
        return graceUntil(memory.changedAt);
      }
      return succeeded(outputs);
    default: {
      const unknown: never = progress;
      throw new Error(`unknown traffic progress ${JSON.stringify(unknown)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Properties

function isHeader(value: JsonValue): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const h = value as JsonObject;
  return (
    typeof h["name"] === "string" &&
    typeof h["value"] === "string" &&
    (h["type"] === undefined || h["type"] === "Exact" || h["type"] === "RegularExpression")
  );
}

function matchesOf(value: JsonValue | undefined): TrafficMatch[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const out: TrafficMatch[] = [];
  for (const m of value as readonly JsonValue[]) {
    const headers =
      typeof m === "object" && m !== null && !Array.isArray(m) ? (m as JsonObject)["headers"] : undefined;
    if (!Array.isArray(headers) || headers.length === 0 || !(headers as readonly JsonValue[]).every(isHeader))
      return undefined;
    out.push({
      headers: (headers as readonly JsonObject[]).map((h): HeaderCondition => ({
        name: h["name"] as string,
        value: h["value"] as string,
        type: h["type"] === "RegularExpression" ? "RegularExpression" : "Exact",
      })),
    });
  }
  return out;
}

/** `properties` of a `traffic` step read back; undefined when malformed (validate reports why). */
export function desiredOf(properties: JsonObject): DesiredTraffic | undefined {
  const weight = properties["weight"];
  const matches = matchesOf(properties["matches"]);
  const pin = properties["pin"];
  if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 0 || weight > 100) return undefined;
  if (pin !== undefined && typeof pin !== "boolean") return undefined;
  if (matches === undefined) return undefined;
  return pin === false ? { weight, matches, pinStable: false } : { weight, matches };
}

function stepLabel(properties: JsonObject): string {
  const step = properties["step"];
  return typeof step === "number" ? `step ${step} traffic` : "traffic";
}

export function trafficStepType(env: TrafficStepEnv): StepType {
  return {
    validate: (properties) => {
      const problems: string[] = [];
      const w = properties["weight"];
      if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
        problems.push("properties.weight must be an integer from 0 to 100");
      }
      if (matchesOf(properties["matches"]) === undefined) {
        problems.push(
          "properties.matches must be a list of {headers: [{name, value, type?}]} with at least one header each",
        );
      }
      const pin = properties["pin"];
      if (pin !== undefined && typeof pin !== "boolean") problems.push("properties.pin must be a boolean");
      return problems;
    },
    run: (ctx) => {
      const desired = desiredOf(ctx.properties);
      if (desired === undefined)
        throw new Error(`traffic step ${ctx.name}: malformed properties ${JSON.stringify(ctx.properties)}`);
      const label = stepLabel(ctx.properties);
      return drive(env, ctx, label, "ensure", desired, {
        weight: desired.weight,
        matches: desired.matches.length,
      });
    },
  };
}

/** What a `traffic-restore` step does (properties.mode). */
const RESTORE_OPERATIONS = {
  /** Abort, rollback: weight 0 and no matches, on what Slipway changed; the pin stays. */
  stable: { operation: "toStable", label: "routing traffic back to stable" },
  /** Before a step that moves every pod: the stable Service selects all pods again; routes unchanged. */
  unpin: { operation: "unpin", label: "releasing the stable Service's pin" },
  /** Finish: un-pin, remove the canary routes, delete the canary Service. */
  remove: { operation: "remove", label: "removing traffic routing" },
} as const satisfies Record<string, { readonly operation: TrafficOperation; readonly label: string }>;

export type RestoreMode = keyof typeof RESTORE_OPERATIONS;
export const RESTORE_MODES = Object.keys(RESTORE_OPERATIONS) as readonly RestoreMode[];

function restoreModeOf(value: JsonValue | undefined): RestoreMode | undefined {
  return typeof value === "string" && Object.hasOwn(RESTORE_OPERATIONS, value)
    ? (value as RestoreMode)
    : undefined;
}

export function trafficRestoreStepType(env: TrafficStepEnv): StepType {
  return {
    validate: (properties) =>
      restoreModeOf(properties["mode"]) !== undefined
        ? []
        : [
            `properties.mode must be "stable" (abort, rollback: weight 0 first), "unpin" (before a step that moves every pod) or "remove" (finish: remove all routing)`,
          ],
    run: (ctx) => {
      const mode = restoreModeOf(ctx.properties["mode"]);
      if (mode === undefined) throw new Error(`traffic-restore step ${ctx.name}: no valid properties.mode`);
      const { operation, label } = RESTORE_OPERATIONS[mode];
      return drive(env, ctx, label, operation, undefined, { mode });
    },
  };
}
