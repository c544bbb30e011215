// One GET per AnalysisTemplate or ClusterAnalysisTemplate a Rollout names, at Rollout admission only and
// only when its analysis changed (to refuse a required argument it does not pass).

import type { TemplateRef } from "../../src/analysis/templates.ts";
import type { ApiTransport } from "../../src/kube/client.ts";
import { isNotFound } from "../../src/kube/errors.ts";
import { ANALYSIS_TEMPLATES, CLUSTER_ANALYSIS_TEMPLATES, objectPath } from "../../src/kube/resources.ts";
import type { TemplateReader } from "../handlers.ts";

const READ_TIMEOUT_MS = 2_000;

export function apiTemplateReader(transport: ApiTransport): TemplateReader {
  return {
    async read(namespace: string, ref: TemplateRef) {
      const path =
        ref.clusterScope === true
          ? objectPath(CLUSTER_ANALYSIS_TEMPLATES, ref.name)
          : objectPath(ANALYSIS_TEMPLATES, ref.name, namespace);
      try {
        const object = await transport.request({ method: "GET", path, timeoutMs: READ_TIMEOUT_MS });
        return { found: true, object };
      } catch (err) {
        if (isNotFound(err)) return { found: false };
        return { found: "unknown", error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
