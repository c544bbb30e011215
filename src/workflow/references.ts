// An `if` waits for every step it reads. For a reference from step s to step t, the engine finds the
// list that holds both (or their enclosing groups) and orders s's side after t's side there; so a sub-step
// that reads a top-level step makes its whole group wait for that step. Main steps always finish before
// finally steps, so a finally step may read any main step without an edge.
import type { CompiledCondition } from "./cel.ts";
import type { CompiledStep } from "./compile.ts";

export interface ConditionEdge {
  /** This step (or an enclosing group of the reading step) waits... */
  readonly waiter: CompiledStep;
  /** ...for the sibling at this index. */
  readonly before: number;
}

/** The step and its enclosing groups, outermost first. */
function chainOf(step: CompiledStep): CompiledStep[] {
  const chain: CompiledStep[] = [];
  for (
    let current: CompiledStep | undefined = step;
    current !== undefined;
    current = current.container.parent
  ) {
    chain.unshift(current);
  }
  return chain;
}

export function resolveConditionEdges(
  step: CompiledStep,
  condition: CompiledCondition,
  byName: ReadonlyMap<string, CompiledStep>,
): { readonly edges: readonly ConditionEdge[]; readonly problems: readonly string[] } {
  if (condition.stepRefs === "all") return { edges: [], problems: [] };
  const edges: ConditionEdge[] = [];
  const problems: string[] = [];
  const label = `step "${step.name}": if reads steps.`;
  const readerChain = chainOf(step);
  for (const name of condition.stepRefs) {
    const target = byName.get(name);
    if (target === undefined) {
      problems.push(`${label}${name}, but no step has that name`);
      continue;
    }
    if (target === step) {
      problems.push(`${label}${name}, its own state; an if is decided before the step runs`);
      continue;
    }
    const targetChain = chainOf(target);
    if (targetChain.includes(step)) {
      problems.push(`${label}${name}, one of its own sub-steps, which cannot have run when the group starts`);
      continue;
    }
    if (readerChain.includes(target)) {
      problems.push(`${label}${name}, its enclosing group, which is still running while its sub-steps start`);
      continue;
    }
    let depth = 0;
    while (readerChain[depth] === targetChain[depth]) depth++;
    const waiter = readerChain[depth];
    const before = targetChain[depth];
    if (waiter === undefined || before === undefined) continue;
    if (waiter.container === before.container) {
      edges.push({ waiter, before: before.index });
    } else if (waiter.container.kind === "main" && before.container.kind === "finally") {
      problems.push(`${label}${name}, a finally step; finally steps run only after all main steps`);
    }
    // A finally step reading a main step needs no edge: the main steps are all finished by then.
  }
  return { edges, problems };
}
