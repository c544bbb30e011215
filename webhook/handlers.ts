// One function per webhook path: AdmissionRequest in, AdmissionResponse out. All decisions are the pure
// functions of hold.ts, rollout-actions.ts and rollout-admission.ts; here they meet the Rollout cache.

import { z } from "zod";
import {
  ANNOTATION_APPROVED_BY,
  GROUP,
  KIND_ANALYSIS_TEMPLATE,
  KIND_CLUSTER_ANALYSIS_TEMPLATE,
  KIND_ROLLOUT,
} from "../src/api/names.ts";
import { parseAnalysisTemplate, parseClusterAnalysisTemplate, parseRollout } from "../src/api/parse.ts";
import type { Problem } from "../src/api/problems.ts";
import type { Rollout } from "../src/api/rollout.ts";
import type { TemplateRef } from "../src/analysis/templates.ts";
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from "./admission-review.ts";
import { decideWorkloadUpdate, holdAdapterFor, type HoldDecision } from "./hold.ts";
import { diffJson } from "./json-patch.ts";
import { approvedByAfter } from "./rollout-actions.ts";
import { admitRollout, needsWorkload, type WorkloadLookup } from "./rollout-admission.ts";
import { isLive, workloadKeyOf, type RolloutCache } from "./rollout-cache.ts";
import { checkTemplateArgs } from "./rollout-templates.ts";
import { annotationsOf, isDeleting } from "./rollout-meta.ts";
import type { HoldAdapter } from "./workloads/workload.ts";

/** Reads a template a Rollout's analysis names; only at Rollout admission, when its analysis changed. */
export interface TemplateReader {
  read(namespace: string, ref: TemplateRef): Promise<WorkloadLookup>;
}

/** Reads the workload a Rollout names; only at Rollout admission (not the hot path). */
export interface WorkloadReader {
  read(namespace: string, group: string, kind: string, name: string): Promise<WorkloadLookup>;
}

export interface HandlerDeps {
  readonly rollouts: RolloutCache;
  readonly workloads: WorkloadReader;
  readonly templates: TemplateReader;
  readonly now: () => Date;
}

const NOT_SYNCED =
  "the Slipway webhook has not loaded the Rollouts yet (starting up or cannot reach the API server); retry in a few seconds";

export async function mutateWorkload(
  request: AdmissionRequest,
  deps: HandlerDeps,
): Promise<AdmissionResponse> {
  const { uid } = request;
  // Only a main-resource UPDATE can change a pod template; scale and status subresources pass.
  if (request.operation !== "UPDATE" || request.subResource !== undefined) return allow(uid);
  const adapter = holdAdapterFor(request.kind.group, request.kind.kind);
  if (adapter === undefined) return allow(uid);
  if (!deps.rollouts.hasSynced()) return deny(uid, NOT_SYNCED, 503);
  const namespace = request.namespace ?? "";
  const name = request.name ?? "";
  const workload = { namespace, group: adapter.group, kind: adapter.kind, name };
  const rollout = deps.rollouts.findByWorkload(workload).find(isLive);
  if (rollout === undefined) return allow(uid);

  let decision = decide(request, rollout, deps, adapter);
  if (decision.type === "mutate" && decision.reason === "re-hold" && deps.rollouts.refresh !== undefined) {
    // Re-holding undoes a change, possibly the controller's: confirm with the stored Rollout, in case its
    // latest status (e.g. Finalizing, or the next step) has not reached the cache yet.
    const fresh = await deps.rollouts.refresh(namespace, rollout.metadata.name);
    if (fresh === undefined || !isLive(fresh)) return allow(uid);
    decision = decide(request, fresh, deps, adapter);
  }
  switch (decision.type) {
    case "pass":
      return allow(uid, [], decision.warnings);
    case "invalid":
      return deny(uid, decision.message, 400);
    case "mutate":
      return allow(uid, diffJson(decision.before, decision.after), decision.warnings);
    default: {
      const unreachable: never = decision;
      return unreachable;
    }
  }
}

function decide(
  request: AdmissionRequest,
  rollout: Rollout,
  deps: HandlerDeps,
  adapter: HoldAdapter,
): HoldDecision {
  return decideWorkloadUpdate({
    adapter,
    oldObject: request.oldObject,
    object: request.object,
    rollout,
    now: deps.now(),
  });
}

/** Just enough of a Rollout to stamp the approver: the mutating webhook runs before schema validation. */
const RolloutMetadataSchema = z.looseObject({
  // With generateName, mutating admission runs before the name is generated.
  metadata: z.looseObject({ name: z.string().default(""), namespace: z.string().optional() }),
});

/** Stamps `approved-by` with the requester whenever an approval is set; nobody else can write it. */
export function mutateRollout(request: AdmissionRequest): AdmissionResponse {
  const { uid } = request;
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return allow(uid);
  if (request.subResource !== undefined) return allow(uid);
  if (request.kind.group !== GROUP || request.kind.kind !== KIND_ROLLOUT) return allow(uid);
  const parsed = RolloutMetadataSchema.safeParse(request.object);
  if (!parsed.success) return deny(uid, "the Rollout in the admission request has no metadata", 400);
  const rollout = parsed.data;
  const old = RolloutMetadataSchema.safeParse(request.oldObject);
  const live = request.operation === "UPDATE" && old.success ? old.data : undefined;
  const approvedBy = approvedByAfter(live, rollout, request.userInfo.username);
  const annotations = { ...annotationsOf(rollout) };
  if (approvedBy === annotations[ANNOTATION_APPROVED_BY]) return allow(uid);
  if (approvedBy === undefined) delete annotations[ANNOTATION_APPROVED_BY];
  else annotations[ANNOTATION_APPROVED_BY] = approvedBy;
  const after = { ...rollout, metadata: { ...rollout.metadata, annotations } };
  return allow(uid, diffJson(rollout, after));
}

export async function validateRollout(
  request: AdmissionRequest,
  deps: HandlerDeps,
): Promise<AdmissionResponse> {
  const { uid } = request;
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return allow(uid);
  if (request.subResource !== undefined || request.kind.group !== GROUP) return allow(uid);
  if (request.kind.kind !== KIND_ROLLOUT) return validateAnalysisTemplate(request);
  const meta = RolloutMetadataSchema.safeParse(request.object);
  // A Rollout being deleted only waits for its finalizer; nothing about it needs checking any more.
  if (meta.success && isDeleting(meta.data)) return allow(uid);
  // The same rules as `slipway lint`: schema, CEL rules, then (below) what needs other objects.
  const parsed = parseRollout(request.object);
  if (!parsed.ok) return deny(uid, problemsText(parsed.problems), 422);
  const rollout = parsed.value;
  const old = request.operation === "UPDATE" ? parseRollout(request.oldObject) : undefined;
  const live = old?.ok === true ? old.value : undefined;
  if (!deps.rollouts.hasSynced()) return deny(uid, NOT_SYNCED, 503);
  const key = workloadKeyOf({ ...rollout, metadata: { ...rollout.metadata, namespace: request.namespace } });
  const supported = holdAdapterFor(key.group, key.kind) !== undefined;
  const workload =
    supported && needsWorkload(rollout, live)
      ? await deps.workloads.read(key.namespace, key.group, key.kind, key.name)
      : undefined;
  const verdict = admitRollout({ rollout, live, others: deps.rollouts.findByWorkload(key), workload });
  if (!verdict.allowed) return deny(uid, verdict.message);
  const templates = await checkTemplateArgs(rollout, live, key.namespace, deps.templates);
  if (templates.problems.length > 0) return deny(uid, problemsText(templates.problems), 422);
  return allow(uid, [], [...verdict.warnings, ...templates.warnings]);
}

/**
 * (Cluster)AnalysisTemplates: the same rules as `slipway lint`, above all that every successCondition
 * and failureCondition compiles and type-checks as CEL (SPEC §2.2, §8), which no CRD rule can do.
 */
function validateAnalysisTemplate(request: AdmissionRequest): AdmissionResponse {
  const kind = request.kind.kind;
  if (kind !== KIND_ANALYSIS_TEMPLATE && kind !== KIND_CLUSTER_ANALYSIS_TEMPLATE) return allow(request.uid);
  const parsed =
    kind === KIND_ANALYSIS_TEMPLATE
      ? parseAnalysisTemplate(request.object)
      : parseClusterAnalysisTemplate(request.object);
  return parsed.ok ? allow(request.uid) : deny(request.uid, `${kind}: ${problemsText(parsed.problems)}`, 422);
}

/** "field: message; field: message", as the API server words validation errors. */
function problemsText(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path || "(object)"}: ${p.message}`).join("; ");
}
