// Reading and writing Rollouts (and the objects `get` shows next to them) for the CLI commands.
import { API_VERSION, KIND_ANALYSIS_TEMPLATE, KIND_ROLLOUT } from "../api/names.ts";
import { AnalysisTemplateSchema, type Metric } from "../api/analysis-template.ts";
import { RolloutSchema, type Rollout, type WorkloadRef } from "../api/rollout.ts";
import type { KubeClient } from "../kube/client.ts";
import { isApiError } from "../kube/errors.ts";
import { mergePatch } from "../kube/patch.ts";
import {
  ANALYSIS_TEMPLATES,
  CLUSTER_ANALYSIS_TEMPLATES,
  collectionPath,
  objectPath,
  ROLLOUTS,
  type KubeList,
  type KubeObject,
  type ResourceRef,
} from "../kube/resources.ts";
import { workloadResource as resourceOfKind } from "../workloads/kube/stable-template.ts";
import type { Connection } from "./connection.ts";

/** Where the workload a Rollout points at lives. */
export function workloadResource(ref: WorkloadRef): ResourceRef {
  return resourceOfKind(ref.kind);
}

/**
 * Reads an object from the API server as a Rollout. The server validated it against the same schema, so
 * a mismatch means this CLI is older than the CRDs installed.
 */
export function asRollout(obj: unknown): Rollout {
  const parsed = RolloutSchema.safeParse(obj);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const meta = (obj as KubeObject).metadata;
  throw new Error(
    `rollout ${meta?.namespace ?? ""}/${meta?.name ?? ""} does not match the Rollout schema this CLI knows ` +
      `(${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}); use a kubectl-slipway as new as the installed CRDs`,
  );
}

export interface FetchedRollout {
  /** As the API server sent it (for -o json|yaml). */
  readonly raw: KubeObject;
  readonly rollout: Rollout;
}

export async function readRollout(conn: Connection, name: string): Promise<FetchedRollout> {
  const raw = await conn.client.request<KubeObject>({
    method: "GET",
    path: objectPath(ROLLOUTS, name, conn.namespace),
  });
  return { raw, rollout: asRollout(raw) };
}

export async function listRollouts(conn: Connection): Promise<FetchedRollout[]> {
  const list = await conn.client.request<KubeList>({
    method: "GET",
    path: collectionPath(ROLLOUTS, conn.allNamespaces ? undefined : conn.namespace),
  });
  return list.items.map((item) => {
    // List items of custom resources carry apiVersion and kind; the defaults only guard odd servers.
    const raw: KubeObject = { apiVersion: API_VERSION, kind: KIND_ROLLOUT, ...item };
    return { raw, rollout: asRollout(raw) };
  });
}

/** Sets (or, with null, removes) annotations on a Rollout with one merge patch. */
export async function annotateRollout(
  conn: Connection,
  name: string,
  annotations: Readonly<Record<string, string | null>>,
): Promise<Rollout> {
  const patched = await mergePatch(
    conn.client,
    { resource: ROLLOUTS, name, namespace: conn.namespace },
    { metadata: { annotations } },
    { fieldManager: "kubectl-slipway" },
  );
  return asRollout(patched);
}

export async function patchRolloutSpec(
  conn: Connection,
  name: string,
  spec: Readonly<Record<string, unknown>>,
): Promise<Rollout> {
  const patched = await mergePatch(
    conn.client,
    { resource: ROLLOUTS, name, namespace: conn.namespace },
    { spec },
    { fieldManager: "kubectl-slipway" },
  );
  return asRollout(patched);
}

/** The workload, or undefined when it is missing or not readable (get still shows the Rollout). */
export async function readWorkload(client: KubeClient, rollout: Rollout): Promise<KubeObject | undefined> {
  const ref = rollout.spec.workloadRef;
  try {
    return await client.request<KubeObject>({
      method: "GET",
      path: objectPath(workloadResource(ref), ref.name, rollout.metadata.namespace),
    });
  } catch (err) {
    if (isApiError(err) && err.status !== 0) return undefined;
    throw err;
  }
}

/** Metric definitions by metric name from the templates the Rollout uses (unreadable ones are skipped). */
export async function readMetrics(
  client: KubeClient,
  rollout: Rollout,
): Promise<ReadonlyMap<string, Metric>> {
  const canary = rollout.spec.strategy.canary;
  const refs = [
    ...canary.steps.flatMap((s) => s.analysis?.templates ?? []),
    ...(canary.analysis?.templates ?? []),
  ];
  const unique = new Map(refs.map((r) => [`${r.clusterScope === true}/${r.name}`, r]));
  const metrics = new Map<string, Metric>();
  for (const ref of unique.values()) {
    const path =
      ref.clusterScope === true
        ? objectPath(CLUSTER_ANALYSIS_TEMPLATES, ref.name)
        : objectPath(ANALYSIS_TEMPLATES, ref.name, rollout.metadata.namespace);
    try {
      const obj = await client.request<Record<string, unknown>>({ method: "GET", path });
      const parsed = AnalysisTemplateSchema.safeParse({ ...obj, kind: KIND_ANALYSIS_TEMPLATE });
      if (!parsed.success) continue;
      for (const metric of parsed.data.spec.metrics) metrics.set(metric.name, metric);
    } catch (err) {
      if (!isApiError(err) || err.status === 0) throw err;
    }
  }
  return metrics;
}

/** The approve annotation's value for the live status: `<step>@<canaryRevision>` (SPEC §3). */
export function approvalValue(rollout: Rollout): { readonly value: string } | { readonly error: string } {
  const status = rollout.status;
  const step = status?.currentStepIndex ?? 0;
  const name = `${rollout.metadata.namespace ?? ""}/${rollout.metadata.name ?? ""}`;
  if (step === 0) {
    return {
      error: `nothing to approve: rollout ${name} is ${status?.phase ?? "not reconciled yet"} (no step in progress)`,
    };
  }
  const revision = status?.canaryRevision;
  return { value: revision === undefined || revision === "" ? String(step) : `${step}@${revision}` };
}
