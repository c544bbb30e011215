// Turns a definition into the form the engine runs (lists of steps with resolved edges and a fixed order),
// and rejects every graph error before the first tick: bad names, duplicates, unknown dependencies, cycles,
// CEL that does not compile, bad durations and retry policies, unknown step types and bad properties.
import { compileCondition } from "./cel.ts";
import type { CompiledCondition } from "./cel.ts";
import { DURATION_HINT, parseDuration } from "./duration.ts";
import { topologicalOrder } from "./graph.ts";
import { contentHash } from "./hash.ts";
import { resolveConditionEdges } from "./references.ts";
import { GROUP_TYPE } from "./registry.ts";
import type { StepRegistry } from "./registry.ts";
import { definitionShapeProblems } from "./schema.ts";
import type {
  Duration,
  JsonObject,
  RetryPolicy,
  StepDefinition,
  WorkflowDefinition,
  WorkflowMode,
} from "./types.ts";

export class WorkflowDefinitionError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid workflow definition:\n- ${problems.join("\n- ")}`);
    this.name = "WorkflowDefinitionError";
    this.problems = problems;
  }
}

export interface ResolvedRetry {
  readonly limit: number;
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

export interface CompiledStep {
  readonly name: string;
  readonly path: string;
  readonly type: string;
  readonly properties: JsonObject;
  readonly container: CompiledContainer;
  readonly index: number;
  /** Sibling indices whose failure skips this step by default (dependsOn, and the previous step in `steps` mode). */
  readonly deps: readonly number[];
  /** Sibling indices that must finish before this step starts: deps plus the steps its `if` reads. */
  readonly after: readonly number[];
  readonly condition: CompiledCondition | undefined;
  readonly timeoutMs: number | undefined;
  readonly retry: ResolvedRetry;
  readonly children: CompiledContainer | undefined;
}

export interface CompiledContainer {
  readonly kind: "main" | "group" | "finally";
  /** For messages: "the top-level steps", `group "x"`, "the finally steps". */
  readonly label: string;
  readonly mode: WorkflowMode;
  readonly steps: readonly CompiledStep[];
  /** Step indices, each after everything it waits for. */
  readonly order: readonly number[];
  readonly parent: CompiledStep | undefined;
}

export interface CompiledWorkflow {
  readonly hash: string;
  readonly main: CompiledContainer;
  readonly finally: CompiledContainer;
  readonly byName: ReadonlyMap<string, CompiledStep>;
  readonly context: JsonObject;
  readonly pollIntervalMs: number;
  readonly maxOutputBytes: number;
  readonly maxMemoryBytes: number;
  readonly maxMessageLength: number;
}

// Internal, mutable while building.
type Writable<T> = { -readonly [K in keyof T]: T[K] };
type BuildStep = Writable<CompiledStep> & {
  readonly definition: StepDefinition;
  deps: number[];
  after: number[];
};
type BuildContainer = Writable<CompiledContainer> & { steps: BuildStep[] };

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const NO_RETRY: ResolvedRetry = { limit: 0, initialMs: 1_000, factor: 2, maxMs: 300_000 };

type Structure = { readonly compiled: CompiledWorkflow; readonly problems: readonly [] } | StructureProblems;
type StructureProblems = { readonly compiled: undefined; readonly problems: readonly string[] };

const structureCache = new WeakMap<object, Structure>();
const typeCheckCache = new WeakMap<CompiledWorkflow, WeakMap<StepRegistry, readonly string[]>>();

/** Every problem of the definition (empty when it is valid), each naming the step and what to change. */
export function validateDefinition(definition: unknown, registry: StepRegistry): readonly string[] {
  const structure = compileStructure(definition);
  return structure.compiled === undefined ? structure.problems : typeProblems(structure.compiled, registry);
}

/** The runnable form of a valid definition; throws WorkflowDefinitionError listing every problem. */
export function compileDefinition(definition: WorkflowDefinition, registry: StepRegistry): CompiledWorkflow {
  const structure = compileStructure(definition);
  if (structure.compiled === undefined) throw new WorkflowDefinitionError(structure.problems);
  const problems = typeProblems(structure.compiled, registry);
  if (problems.length > 0) throw new WorkflowDefinitionError(problems);
  return structure.compiled;
}

/** The graph of a definition without checking step types (restart needs only the graph). */
export function compileStructure(definition: unknown): Structure {
  if (typeof definition !== "object" || definition === null) {
    return { compiled: undefined, problems: ["the workflow definition must be an object"] };
  }
  const cached = structureCache.get(definition);
  if (cached !== undefined) return cached;
  // The compiled form (and its hash) is cached by object identity, so the definition must never change
  // afterwards: freezing it turns a later mutation into a TypeError instead of a silently stale hash.
  deepFreeze(definition);
  const shape = definitionShapeProblems(definition);
  const structure: Structure =
    shape.length > 0
      ? { compiled: undefined, problems: shape }
      : new Builder(definition as WorkflowDefinition).build();
  structureCache.set(definition, structure);
  return structure;
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
}

function typeProblems(compiled: CompiledWorkflow, registry: StepRegistry): readonly string[] {
  let perRegistry = typeCheckCache.get(compiled);
  const cached = perRegistry?.get(registry);
  if (cached !== undefined) return cached;
  const problems: string[] = [];
  for (const step of compiled.byName.values()) {
    if (step.type === GROUP_TYPE) continue;
    const type = registry.get(step.type);
    if (type === undefined) {
      problems.push(
        `step "${step.name}": unknown type "${step.type}"; registered types: ${registry.names().join(", ")}`,
      );
      continue;
    }
    for (const problem of type.validate?.(step.properties) ?? []) {
      problems.push(`step "${step.name}" (type ${step.type}): ${problem}`);
    }
  }
  perRegistry ??= new WeakMap();
  perRegistry.set(registry, problems);
  typeCheckCache.set(compiled, perRegistry);
  return problems;
}

class Builder {
  readonly #definition: WorkflowDefinition;
  readonly #problems: string[] = [];
  readonly #byName = new Map<string, BuildStep>();
  readonly #locations = new Map<string, string>();
  readonly #containers: BuildContainer[] = [];

  constructor(definition: WorkflowDefinition) {
    this.#definition = definition;
  }

  build(): Structure {
    const definition = this.#definition;
    const defaultRetry = this.#retry(definition.defaultRetry, "defaultRetry") ?? NO_RETRY;
    const main = this.#container(
      "main",
      "the top-level steps",
      definition.mode,
      definition.steps,
      undefined,
      "steps",
    );
    const final = this.#container(
      "finally",
      "the finally steps",
      definition.finallyMode,
      definition.finally ?? [],
    );
    for (const step of this.#byName.values()) {
      if (step.type !== GROUP_TYPE && step.definition.retry === undefined) step.retry = defaultRetry;
    }
    for (const container of this.#containers) this.#resolveDependsOn(container);
    for (const step of this.#byName.values()) this.#resolveCondition(step);
    for (const container of this.#containers) this.#order(container);
    const pollIntervalMs = this.#duration(definition.pollInterval ?? "10s", "pollInterval", true);
    const limits = definition.limits ?? {};
    const limit = (key: keyof typeof limits, fallback: number): number => {
      const value = limits[key] ?? fallback;
      if (Number.isSafeInteger(value) && value > 0) return value;
      this.#problems.push(`limits.${key} must be a positive integer, not ${value}`);
      return fallback;
    };
    const compiled: CompiledWorkflow = {
      hash: contentHash(definition),
      main,
      finally: final,
      byName: this.#byName,
      context: definition.context ?? {},
      pollIntervalMs: pollIntervalMs ?? 10_000,
      maxOutputBytes: limit("maxOutputBytes", 4_096),
      maxMemoryBytes: limit("maxMemoryBytes", 4_096),
      maxMessageLength: limit("maxMessageLength", 512),
    };
    return this.#problems.length > 0
      ? { compiled: undefined, problems: this.#problems }
      : { compiled, problems: [] };
  }

  #container(
    kind: CompiledContainer["kind"],
    label: string,
    mode: WorkflowMode | undefined,
    definitions: readonly StepDefinition[],
    parent?: BuildStep,
    location: string = kind,
  ): BuildContainer {
    const container: BuildContainer = { kind, label, mode: mode ?? "steps", steps: [], order: [], parent };
    this.#containers.push(container);
    definitions.forEach((definition, index) => {
      container.steps.push(this.#step(definition, container, index, `${location}[${index}]`));
    });
    return container;
  }

  #step(definition: StepDefinition, container: BuildContainer, index: number, location: string): BuildStep {
    const { name, type } = definition;
    const parentPath = container.parent?.path;
    const step: BuildStep = {
      definition,
      name,
      path: parentPath === undefined ? name : `${parentPath}/${name}`,
      type,
      properties: definition.properties ?? {},
      container,
      index,
      deps: [],
      after: [],
      condition: undefined,
      timeoutMs: undefined,
      retry: NO_RETRY,
      children: undefined,
    };
    const label = `step "${name}"`;
    if (!NAME_PATTERN.test(name)) {
      this.#problems.push(
        `${location}: step name ${JSON.stringify(name)} is invalid; use 1-128 letters, digits, "_", "-" or "." ` +
          `(starting with a letter, digit or "_")`,
      );
    }
    const previous = this.#locations.get(name);
    if (previous !== undefined) {
      this.#problems.push(
        `${location}: duplicate step name "${name}" (also at ${previous}); names must be unique across the ` +
          `whole workflow, including sub-steps and finally steps`,
      );
    } else {
      this.#locations.set(name, location);
      this.#byName.set(name, step);
    }
    if (definition.timeout !== undefined)
      step.timeoutMs = this.#duration(definition.timeout, `${label}: timeout`, true);
    if (type === GROUP_TYPE) {
      if (definition.group === undefined) {
        this.#problems.push(`${label}: type "group" needs group: {mode?, steps: [...]}`);
      } else {
        const { mode, steps } = definition.group;
        step.children = this.#container(
          "group",
          `group "${name}"`,
          mode,
          steps,
          step,
          `${location}.group.steps`,
        );
      }
      if (definition.retry !== undefined) {
        this.#problems.push(`${label}: a group cannot be retried as a whole; set retry on its sub-steps`);
      }
      if (definition.properties !== undefined) {
        this.#problems.push(`${label}: a group has no properties; put them on its sub-steps`);
      }
    } else {
      if (definition.group !== undefined) {
        this.#problems.push(
          `${label}: only steps of type "group" have sub-steps; set type: group or remove group`,
        );
      }
      step.retry = this.#retry(definition.retry, `${label}: retry`) ?? NO_RETRY;
    }
    return step;
  }

  #resolveDependsOn(container: BuildContainer): void {
    const indexOf = new Map(container.steps.map((step) => [step.name, step.index]));
    for (const step of container.steps) {
      const deps = new Set<number>();
      if (container.mode === "steps" && step.index > 0) deps.add(step.index - 1);
      for (const dependency of step.definition.dependsOn ?? []) {
        const index = indexOf.get(dependency);
        if (index !== undefined) {
          deps.add(index);
          continue;
        }
        const elsewhere = this.#byName.get(dependency);
        this.#problems.push(
          elsewhere === undefined
            ? `step "${step.name}": dependsOn "${dependency}", but no step has that name`
            : `step "${step.name}": dependsOn "${dependency}", which is not in ${container.label} but in ` +
                `${elsewhere.container.label}; dependsOn may only name steps of the same list ` +
                `(depend on the enclosing group instead)`,
        );
      }
      step.deps = [...deps].sort((a, b) => a - b);
      step.after = [...step.deps];
    }
  }

  #resolveCondition(step: BuildStep): void {
    const source = step.definition.if;
    if (source === undefined) return;
    const result = compileCondition(source);
    if (!result.ok) {
      this.#problems.push(
        `step "${step.name}": if ${JSON.stringify(source)} does not compile: ${result.error}`,
      );
      return;
    }
    step.condition = result.condition;
    const edges = resolveConditionEdges(step, result.condition, this.#byName);
    this.#problems.push(...edges.problems);
    for (const edge of edges.edges) {
      const waiter = edge.waiter as BuildStep;
      if (!waiter.after.includes(edge.before)) waiter.after.push(edge.before);
    }
  }

  #order(container: BuildContainer): void {
    for (const step of container.steps) step.after.sort((a, b) => a - b);
    const result = topologicalOrder(container.steps.length, (index) => container.steps[index]?.after ?? []);
    if (result.ok) {
      container.order = result.order;
      return;
    }
    const names = result.cycle.map((index) => container.steps[index]?.name ?? "?");
    this.#problems.push(
      `dependency cycle in ${container.label}: ${names.join(" → ")} (each must finish before the next; edges ` +
        `come from dependsOn, the order of a "steps"-mode list and the steps an if reads)`,
    );
  }

  #duration(value: Duration, what: string, positive: boolean): number | undefined {
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.#problems.push(`${what} ${JSON.stringify(value)} is not a duration; ${DURATION_HINT}`);
    } else if (positive && ms <= 0) {
      this.#problems.push(`${what} must be longer than 0`);
    }
    return ms;
  }

  #retry(policy: RetryPolicy | undefined, what: string): ResolvedRetry | undefined {
    if (policy === undefined) return undefined;
    const { limit, backoff = {} } = policy;
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > 1_000) {
      this.#problems.push(`${what}.limit must be an integer from 0 to 1000, not ${limit}`);
    }
    const factor = backoff.factor ?? NO_RETRY.factor;
    if (!(factor >= 1 && factor <= 100)) this.#problems.push(`${what}.backoff.factor must be from 1 to 100`);
    const initialMs =
      this.#duration(backoff.initial ?? "1s", `${what}.backoff.initial`, true) ?? NO_RETRY.initialMs;
    const maxMs = this.#duration(backoff.max ?? "5m", `${what}.backoff.max`, true) ?? NO_RETRY.maxMs;
    if (maxMs < initialMs)
      this.#problems.push(`${what}.backoff.max must not be shorter than backoff.initial`);
    return { limit, initialMs, factor, maxMs };
  }
}
