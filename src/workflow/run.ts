// One tick of one run. The cursor works on a copy of the step states and advances in rounds: a scan (in each
// list's fixed order) starts, skips, times out and finishes what it can without calling anyone, and collects
// the steps that are due; those are invoked together and their outcomes applied in scan order; repeat until
// a scan finds nothing due. Each step is invoked at most once per tick, so a tick always ends.
import { applyOutcome, finished, truncate } from "./apply-outcome.ts";
import { evaluateCondition } from "./cel.ts";
import type { CompiledContainer, CompiledStep, CompiledWorkflow } from "./compile.ts";
import { retryableError } from "./outcomes.ts";
import type { StepRegistry } from "./registry.ts";
import { conditionVariables, inputsOf } from "./views.ts";
import type {
  StepContext,
  StepOutcome,
  StepReason,
  StepState,
  WorkflowEvent,
  WorkflowState,
} from "./types.ts";

interface Invocation {
  readonly step: CompiledStep;
  readonly state: StepState;
}

export function isFinishedPhase(phase: StepState["phase"] | undefined): boolean {
  return phase === "Succeeded" || phase === "Failed" || phase === "Skipped";
}

export class RunCursor {
  readonly plan: CompiledWorkflow;
  readonly run: WorkflowState;
  readonly now: number;
  readonly steps: Record<string, StepState>;
  readonly events: WorkflowEvent[] = [];
  readonly #registry: StepRegistry;
  readonly #invoked = new Set<string>();
  readonly #failedUpstream = new Map<CompiledStep, string | undefined>();

  constructor(plan: CompiledWorkflow, run: WorkflowState, now: number, registry: StepRegistry) {
    this.plan = plan;
    this.run = run;
    this.now = now;
    this.#registry = registry;
    this.steps = { ...run.steps };
  }

  phaseOf(step: CompiledStep): StepState["phase"] | "Pending" {
    return this.steps[step.name]?.phase ?? "Pending";
  }

  isFinished(step: CompiledStep): boolean {
    return isFinishedPhase(this.steps[step.name]?.phase);
  }

  listFinished(container: CompiledContainer): boolean {
    return container.steps.every((step) => this.isFinished(step));
  }

  async advance(): Promise<void> {
    const terminate = this.run.terminate;
    if (terminate !== undefined) {
      const message = `terminated: ${terminate.reason}`;
      this.#settleList(this.plan.main, "Terminated", "Terminated", message);
      if (terminate.force === true) this.#settleList(this.plan.finally, "Terminated", "Terminated", message);
    }
    for (;;) {
      const due: Invocation[] = [];
      this.#scan(this.plan.main, due);
      if (this.listFinished(this.plan.main)) this.#scan(this.plan.finally, due);
      if (due.length === 0) return;
      const outcomes = await Promise.all(due.map((invocation) => this.#invoke(invocation)));
      due.forEach((invocation, index) => {
        const outcome = outcomes[index] as StepOutcome;
        const applied = applyOutcome(this.plan, invocation.step, invocation.state, outcome, this.now);
        this.steps[invocation.step.name] = applied.state;
        this.events.push(...applied.events);
      });
    }
  }

  #scan(container: CompiledContainer, due: Invocation[]): void {
    for (const index of container.order) {
      const step = container.steps[index];
      if (step === undefined) continue;
      if (this.steps[step.name] === undefined && !this.#start(step)) continue;
      const state = this.steps[step.name];
      if (state === undefined || isFinishedPhase(state.phase) || this.#timedOut(step, state)) continue;
      if (step.children !== undefined) {
        this.#scan(step.children, due);
        this.#finishGroupIfDone(step, step.children);
      } else if (this.#isDue(step, state)) {
        this.#invoked.add(step.name);
        due.push({ step, state });
      }
    }
  }

  /** Decides a Pending step whose predecessors are finished: skip, fail its `if`, or start it. */
  #start(step: CompiledStep): boolean {
    const siblings = step.container.steps;
    if (!step.after.every((index) => isFinishedPhase(this.steps[siblings[index]?.name ?? ""]?.phase)))
      return false;
    if (step.condition !== undefined) {
      let pass: boolean;
      try {
        pass = evaluateCondition(step.condition, conditionVariables(this, step, step.condition));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.#finish(
          step,
          "Failed",
          "ConditionError",
          `if ${JSON.stringify(step.condition.source)}: ${reason}`,
        );
        return false;
      }
      if (!pass) {
        this.#finish(
          step,
          "Skipped",
          "ConditionFalse",
          `if ${JSON.stringify(step.condition.source)} is false`,
        );
        return false;
      }
    } else {
      const failedStep = this.#failedUpstreamOf(step);
      if (failedStep !== undefined) {
        this.#finish(step, "Skipped", "UpstreamFailed", `skipped because step "${failedStep}" failed`);
        return false;
      }
    }
    this.steps[step.name] = { phase: "Running", attempt: 1, firstStartedAt: this.now };
    this.events.push({ type: "StepStarted", step: step.name, path: step.path, at: this.now, attempt: 1 });
    return true;
  }

  /** The first failed step among the step's dependencies, transitively (the default skip rule). */
  #failedUpstreamOf(step: CompiledStep): string | undefined {
    if (this.#failedUpstream.has(step)) return this.#failedUpstream.get(step);
    let found: string | undefined;
    for (const index of step.deps) {
      const dependency = step.container.steps[index];
      if (dependency === undefined) continue;
      found = this.phaseOf(dependency) === "Failed" ? dependency.name : this.#failedUpstreamOf(dependency);
      if (found !== undefined) break;
    }
    // Memoised per tick: dependencies are finished, so their answer cannot change within the tick.
    this.#failedUpstream.set(step, found);
    return found;
  }

  #timedOut(step: CompiledStep, state: StepState): boolean {
    if (step.timeoutMs === undefined || state.firstStartedAt === undefined) return false;
    if (this.now < state.firstStartedAt + step.timeoutMs) return false;
    if (step.children !== undefined) {
      this.#settleList(
        step.children,
        "TimedOut",
        "ParentTimedOut",
        `the enclosing group "${step.name}" timed out`,
      );
    }
    const message = `timed out after ${step.timeoutMs}ms (timeout counts from the first start)`;
    this.steps[step.name] = finished(state, "Failed", this.now, { reason: "TimedOut", message });
    this.events.push({
      type: "StepTimedOut",
      step: step.name,
      path: step.path,
      at: this.now,
      timeoutMs: step.timeoutMs,
    });
    return true;
  }

  #isDue(step: CompiledStep, state: StepState): boolean {
    if (this.#invoked.has(step.name)) return false;
    const timerDue = state.nextRunAt !== undefined && this.now >= state.nextRunAt;
    if (state.phase === "Suspended") return state.resume !== undefined || timerDue;
    return state.nextRunAt === undefined || timerDue;
  }

  #finishGroupIfDone(group: CompiledStep, children: CompiledContainer): void {
    if (!this.listFinished(children)) return;
    const failedChild = children.steps.find((child) => this.phaseOf(child) === "Failed");
    if (failedChild === undefined) {
      this.#finish(group, "Succeeded");
      return;
    }
    const detail = this.steps[failedChild.name]?.message ?? "";
    this.#finish(group, "Failed", "SubStepFailed", `sub-step "${failedChild.name}" failed: ${detail}`);
  }

  /** Ends a step without invoking it. */
  #finish(
    step: CompiledStep,
    phase: "Succeeded" | "Failed" | "Skipped",
    reason?: StepReason,
    fullMessage = "",
  ): void {
    const message = truncate(fullMessage, this.plan.maxMessageLength);
    const previous = this.steps[step.name] ?? { phase: "Running" };
    this.steps[step.name] = finished(previous, phase, this.now, { reason, message: message || undefined });
    const base = { step: step.name, path: step.path, at: this.now };
    if (phase === "Succeeded")
      this.events.push({ ...base, type: "StepSucceeded", attempt: previous.attempt ?? 1 });
    else if (phase === "Failed")
      this.events.push({ ...base, type: "StepFailed", reason: reason ?? "StepFailed", message });
    else this.events.push({ ...base, type: "StepSkipped", reason: reason ?? "ConditionFalse", message });
    // A group that ends without running (skipped, or its `if` failed) settles its sub-steps too.
    if (step.children !== undefined && phase !== "Succeeded") {
      this.#settleList(
        step.children,
        "Terminated",
        "ParentSkipped",
        `the enclosing group "${step.name}" did not run`,
      );
    }
  }

  /** Fails every started, unfinished step of a list (recursively) and skips every pending one. */
  #settleList(
    container: CompiledContainer,
    failReason: StepReason,
    skipReason: StepReason,
    message: string,
  ): void {
    for (const index of container.order) {
      const step = container.steps[index];
      if (step === undefined) continue;
      const state = this.steps[step.name];
      if (isFinishedPhase(state?.phase)) continue;
      if (step.children !== undefined) this.#settleList(step.children, failReason, skipReason, message);
      if (state === undefined) this.#finish(step, "Skipped", skipReason, message);
      else this.#finish(step, "Failed", failReason, message);
    }
  }

  async #invoke({ step, state }: Invocation): Promise<StepOutcome> {
    const type = this.#registry.get(step.type);
    if (type === undefined) return retryableError(`step type "${step.type}" is not registered`);
    try {
      return await type.run(this.#context(step, state));
    } catch (error) {
      return retryableError(
        `step type "${step.type}" threw: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  #context(step: CompiledStep, state: StepState): StepContext {
    const attempt = state.attempt ?? 1;
    const firstStartedAt = state.firstStartedAt ?? this.now;
    // Built on first read only: most step types never look at their inputs.
    let inputs: StepContext["inputs"] | undefined;
    const inputsFor = (): StepContext["inputs"] => inputsOf(this, step);
    return {
      runId: this.run.runId,
      name: step.name,
      path: step.path,
      type: step.type,
      properties: step.properties,
      get inputs() {
        inputs ??= inputsFor();
        return inputs;
      },
      context: this.plan.context,
      idempotencyKey: `${this.run.runId}:g${this.run.generation}:${step.path}:a${attempt}`,
      now: this.now,
      attempt,
      firstStartedAt,
      deadline: step.timeoutMs === undefined ? undefined : firstStartedAt + step.timeoutMs,
      memory: state.memory,
      resume: state.resume,
    };
  }
}
