// `undo`'s work: write the stable revision's pod template back onto the workload (src/workloads/kube/stable-template.ts).
import { revertToStableTemplate } from "../workloads/kube/stable-template.ts";
import type { Connection } from "./connection.ts";
import { followHint } from "./rollout-action.ts";
import { readRollout } from "./rollouts.ts";

const ATTEMPTS = 3;

/** Sets the workload of Rollout `name` back to its stable template; returns the lines to print. */
export async function revertToStable(conn: Connection, name: string): Promise<readonly string[]> {
  for (let attempt = 1; ; attempt += 1) {
    const { rollout } = await readRollout(conn, name);
    const revision = rollout.status?.stableRevision;
    if (revision === undefined || revision === "") {
      throw new Error(
        `rollout ${conn.namespace}/${name} has no stable revision in its status yet: nothing to undo`,
      );
    }
    const ref = rollout.spec.workloadRef;
    const what = `${ref.kind} ${conn.namespace}/${ref.name}`;
    const target = { kind: ref.kind, name: ref.name, namespace: conn.namespace };
    const result = await revertToStableTemplate(conn.client, target, revision, "kubectl-slipway");
    switch (result.kind) {
      case "problem":
        throw new Error(result.message);
      case "unchanged":
        return [`${what} already runs the stable revision ${revision}: nothing to undo`];
      case "raced":
        if (attempt < ATTEMPTS) continue;
        throw new Error(`the pod template of ${what} kept changing while undo ran; run it again`, {
          cause: result.cause,
        });
      case "reverted":
        return [
          `${what}: pod template set back to the stable revision ${revision}; the release ends as rolled back`,
          followHint(conn, name),
        ];
    }
  }
}
