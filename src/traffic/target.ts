// Building a TrafficTarget from what the reconciler knows about a release.
import type { WorkloadKind } from "../api/rollout.ts";
import type { RevisionLabel } from "./types.ts";

/** SPEC §5.4: `pod-template-hash` for Deployment and CloneSet, `controller-revision-hash` for StatefulSet. */
export function revisionLabelFor(kind: WorkloadKind): RevisionLabel {
  switch (kind) {
    case "Deployment":
    case "CloneSet":
      return "pod-template-hash";
    case "StatefulSet":
      return "controller-revision-hash";
    default: {
      const unknown: never = kind;
      throw new Error(`unknown workload kind ${String(unknown)}`);
    }
  }
}
