// Ordering of the steps of one list: a deterministic topological order, or the first cycle found.

export type OrderResult =
  | { readonly ok: true; readonly order: readonly number[] }
  | { readonly ok: false; readonly cycle: readonly number[] };

/**
 * `predecessors(i)` are the nodes that must come before node i. The order is depth-first post-order from
 * node 0 upwards, so it only depends on the definition (never on hash-map iteration or timing).
 */
export function topologicalOrder(
  count: number,
  predecessors: (node: number) => readonly number[],
): OrderResult {
  const UNSEEN = 0;
  const ACTIVE = 1;
  const DONE = 2;
  const mark = new Uint8Array(count);
  const order: number[] = [];
  // Iterative DFS: a 1,000-step chain must not depend on the call stack size.
  for (let root = 0; root < count; root++) {
    if (mark[root] !== UNSEEN) continue;
    const stack: { node: number; next: number }[] = [{ node: root, next: 0 }];
    mark[root] = ACTIVE;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) break;
      const preds = predecessors(frame.node);
      const pred = preds[frame.next];
      if (pred === undefined) {
        mark[frame.node] = DONE;
        order.push(frame.node);
        stack.pop();
        continue;
      }
      frame.next++;
      if (mark[pred] === DONE) continue;
      if (mark[pred] === ACTIVE) {
        const start = stack.findIndex((entry) => entry.node === pred);
        // The stack runs from dependents to their predecessors; report the cycle in execution order.
        const between = stack
          .slice(start + 1)
          .map((entry) => entry.node)
          .reverse();
        return { ok: false, cycle: [pred, ...between, pred] };
      }
      mark[pred] = ACTIVE;
      stack.push({ node: pred, next: 0 });
    }
  }
  return { ok: true, order };
}
