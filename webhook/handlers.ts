// One function per webhook path: AdmissionRequest in, AdmissionResponse out. All decisions are the pure
// functions of hold.ts, rollout-actions.ts and rollout-admission.ts; here they meet the Rollout cache.

import { ANNOTATION_APPROVED_BY, GROUP, KIND_ROLLOUT } from "../src/api/names.ts";
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from "./admission-review.ts";
import { decideWorkloadUpdate, holdAdapterFor, type HoldDecision } from "./hold.ts";
import { diffJson } from "./json-patch.ts";
import { approvedByAfter } from "./rollout-actions.ts";
import { admitRollout, needsWorkload, type WorkloadLookup } from "./rollout-admission.ts";
import { isLive, workloadKeyOf, type RolloutCache } from "./rollout-cache.ts";
import { RolloutViewSchema, type Rollout } from "./rollout-view.ts";

/** Reads the workload a Rollout names; only at Rollout admission (not the hot path). */
export interface WorkloadReader {
  read(namespace: string, group: string, kind: string, name: string): Promise<WorkloadLookup>;
}

export interface HandlerDeps {
  readonly rollouts: RolloutCache;
  readonly workloads: WorkloadReader;
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
  adapter: NonNullable<ReturnType<typeof holdAdapterFor>>,
): HoldDecision {
  return decideWorkloadUpdate({
    adapter,
    oldObject: request.oldObject,
    object: request.object,
    rollout,
    now: deps.now(),
  });
}

type ParsedRollouts =
  | { readonly ok: true; readonly rollout: Rollout; readonly live: Rollout | undefined }
  | { readonly ok: false; readonly response: AdmissionResponse };

function parseRollouts(request: AdmissionRequest): ParsedRollouts {
  const parsed = RolloutViewSchema.safeParse(request.object);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? "" : ` at ${issue.path.join(".")}: ${issue.message}`;
    return {
      ok: false,
      response: deny(request.uid, `the Rollout in the admission request is malformed${where}`, 400),
    };
  }
  if (request.operation !== "UPDATE") return { ok: true, rollout: parsed.data, live: undefined };
  const live = RolloutViewSchema.safeParse(request.oldObject);
  return { ok: true, rollout: parsed.data, live: live.success ? live.data : undefined };
}

/** Stamps `approved-by` with the requester whenever an approval is set; nobody else can write it. */
export function mutateRollout(request: AdmissionRequest): AdmissionResponse {
  const { uid } = request;
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return allow(uid);
  if (request.subResource !== undefined) return allow(uid);
  if (request.kind.group !== GROUP || request.kind.kind !== KIND_ROLLOUT) return allow(uid);
  const parsed = parseRollouts(request);
  if (!parsed.ok) return parsed.response;
  const { rollout, live } = parsed;
  const approvedBy = approvedByAfter(live, rollout, request.userInfo.username);
  if (approvedBy === rollout.metadata.annotations?.[ANNOTATION_APPROVED_BY]) return allow(uid);
  const after = structuredClone(rollout);
  const annotations = { ...after.metadata.annotations };
  if (approvedBy === undefined) delete annotations[ANNOTATION_APPROVED_BY];
  else annotations[ANNOTATION_APPROVED_BY] = approvedBy;
  after.metadata.annotations = annotations;
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
  const parsed = parseRollouts(request);
  if (!parsed.ok) return parsed.response;
  const { rollout, live } = parsed;
  // A Rollout being deleted only waits for its finalizer; nothing about it needs checking any more.
  if (rollout.metadata.deletionTimestamp !== undefined) return allow(uid);
  if (!deps.rollouts.hasSynced()) return deny(uid, NOT_SYNCED, 503);
  const key = workloadKeyOf({ ...rollout, metadata: { ...rollout.metadata, namespace: request.namespace } });
  const supported = holdAdapterFor(key.group, key.kind) !== undefined;
  const workload =
    supported && needsWorkload(rollout, live)
      ? await deps.workloads.read(key.namespace, key.group, key.kind, key.name)
      : undefined;
  const verdict = admitRollout({ rollout, live, others: deps.rollouts.findByWorkload(key), workload });
  return verdict.allowed ? allow(uid, [], verdict.warnings) : deny(uid, verdict.message);
}

/** (Cluster)AnalysisTemplates: the CEL conditions must type-check (SPEC §2.2, §8). */
function validateAnalysisTemplate(request: AdmissionRequest): AdmissionResponse {
  // TODO(api): check every metric's successCondition/failureCondition with checkAnalysisCondition.
  return allow(request.uid);
}
