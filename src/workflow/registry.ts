// The registry of step types, with the built-in generic ones: suspend, wait and fail. `group` is a reserved
// type name handled by the engine itself (its sub-steps run under the group's own mode).
import { DURATION_HINT, parseDuration } from "./duration.ts";
import { failed, succeeded, suspended, wait } from "./outcomes.ts";
import type { Duration, JsonObject, JsonValue, StepFunction, StepType } from "./types.ts";

export const GROUP_TYPE = "group";

export class StepRegistry {
  readonly #types: ReadonlyMap<string, StepType>;

  constructor(types: ReadonlyMap<string, StepType>) {
    this.#types = types;
  }

  get(type: string): StepType | undefined {
    return this.#types.get(type);
  }

  has(type: string): boolean {
    return type === GROUP_TYPE || this.#types.has(type);
  }

  /** Sorted, including `group`; for error messages. */
  names(): readonly string[] {
    return [GROUP_TYPE, ...this.#types.keys()].sort();
  }
}

/** A registry of the built-in types plus `custom`. Built-in names cannot be replaced. */
export function createRegistry(custom: Readonly<Record<string, StepFunction | StepType>> = {}): StepRegistry {
  const types = new Map<string, StepType>(Object.entries(BUILT_IN_TYPES));
  for (const [name, entry] of Object.entries(custom)) {
    if (name === GROUP_TYPE || types.has(name)) {
      throw new Error(
        `step type "${name}" is built in and cannot be replaced; register yours under another name`,
      );
    }
    types.set(name, typeof entry === "function" ? { run: entry } : entry);
  }
  return new StepRegistry(types);
}

function isDuration(value: JsonValue | undefined): value is Duration {
  return (typeof value === "string" || typeof value === "number") && parseDuration(value) !== undefined;
}

function checkOptionalString(properties: JsonObject, key: string): string[] {
  const value = properties[key];
  return value === undefined || typeof value === "string" ? [] : [`properties.${key} must be a string`];
}

function checkOptionalDuration(properties: JsonObject, key: string): string[] {
  const value = properties[key];
  return value === undefined || isDuration(value)
    ? []
    : [`properties.${key} ${JSON.stringify(value)} is not a duration; ${DURATION_HINT}`];
}

function optionalString(properties: JsonObject, key: string): string | undefined {
  const value = properties[key];
  return typeof value === "string" ? value : undefined;
}

function durationProperty(properties: JsonObject, key: string): number | undefined {
  const value = properties[key];
  return isDuration(value) ? parseDuration(value) : undefined;
}

/** `until` as an RFC 3339 string or epoch milliseconds. */
function instantProperty(value: JsonValue | undefined): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * suspend: waits for `resume(state, token)` (token: `properties.token`, default the step name). With
 * `properties.duration` it also ends by itself that long after its first start; an early resume ends it
 * at once.
 */
const suspendType: StepType = {
  validate: (properties) => [
    ...checkOptionalString(properties, "token"),
    ...checkOptionalString(properties, "message"),
    ...checkOptionalDuration(properties, "duration"),
  ],
  run: (ctx) => {
    if (ctx.resume !== undefined) {
      const payload = ctx.resume.payload;
      return succeeded(payload === undefined ? { resumed: "manual" } : { resumed: "manual", payload });
    }
    const token = optionalString(ctx.properties, "token") ?? ctx.name;
    const message = optionalString(ctx.properties, "message");
    const durationMs = durationProperty(ctx.properties, "duration");
    if (durationMs === undefined) {
      return suspended(token, { reason: message ?? `waiting for resume with token "${token}"` });
    }
    const until = ctx.firstStartedAt + durationMs;
    if (ctx.now >= until) return succeeded({ resumed: "duration" });
    return suspended(token, { until, reason: message ?? `paused until ${new Date(until).toISOString()}` });
  },
};

/** wait: succeeds at `properties.until` (RFC 3339 or epoch ms) or `properties.duration` after its first start. */
const waitType: StepType = {
  validate: (properties) => {
    const hasUntil = properties["until"] !== undefined;
    const hasDuration = properties["duration"] !== undefined;
    if (hasUntil === hasDuration) return ["set exactly one of properties.until and properties.duration"];
    if (hasUntil && instantProperty(properties["until"]) === undefined) {
      return ["properties.until must be an RFC 3339 time or epoch milliseconds"];
    }
    return checkOptionalDuration(properties, "duration");
  },
  run: (ctx) => {
    const until =
      instantProperty(ctx.properties["until"]) ??
      ctx.firstStartedAt + (durationProperty(ctx.properties, "duration") ?? 0);
    return ctx.now >= until ? succeeded() : wait(`waiting until ${new Date(until).toISOString()}`, until);
  },
};

/** fail: fails the step with `properties.message`; with an `if`, an explicit failure branch. */
const failType: StepType = {
  validate: (properties) => checkOptionalString(properties, "message"),
  run: (ctx) => failed(optionalString(ctx.properties, "message") ?? `step "${ctx.name}" is a fail step`),
};

const BUILT_IN_TYPES: Readonly<Record<string, StepType>> = {
  suspend: suspendType,
  wait: waitType,
  fail: failType,
};
