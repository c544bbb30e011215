// One GET of the workload a Rollout names, at Rollout admission only (to refuse OnDelete StatefulSets).
// Creating or retargeting a Rollout is rare; workload updates, the hot path, never come here.

import type { ApiTransport } from "../../src/kube/client.ts";
import { isNotFound } from "../../src/kube/errors.ts";
import { objectPath } from "../../src/kube/resources.ts";
import type { WorkloadReader } from "../handlers.ts";
import { holdAdapterFor } from "../hold.ts";

const READ_TIMEOUT_MS = 2_000;

export function apiWorkloadReader(transport: ApiTransport): WorkloadReader {
  return {
    async read(namespace, group, kind, name) {
      const adapter = holdAdapterFor(group, kind);
      if (adapter === undefined)
        return { found: "unknown", error: `${kind} of group ${group} is not supported` };
      const resource = { group, version: adapter.version, plural: adapter.plural, namespaced: true };
      try {
        const object = await transport.request({
          method: "GET",
          path: objectPath(resource, name, namespace),
          timeoutMs: READ_TIMEOUT_MS,
        });
        return { found: true, object };
      } catch (err) {
        if (isNotFound(err)) return { found: false };
        return { found: "unknown", error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
