// Reaction latency from the audit log: the time between a write that should wake the controller (the
// trigger, taken when the API server completed it) and the controller's first write in answer (taken when
// the API server received it). Both stamps come from the API server's clock, in microseconds.
//
// - approve: the benchmark's PATCH adding the approve annotation → the controller's first write of any
//   kind, and its first write to the workload (Deployment or ReplicaSet).
// - batch ready: the kwok PATCH of pods/status that made the last pod of a batch Ready → the status write
//   that starts the next step (or the finish), and the first workload write after it. (Not "the first
//   write after the trigger": that can be the answer to the previous pod, still in flight.)
// - template change: the benchmark's `set image` → the controller's first workload write (the hold).
import { ANNOTATION_APPROVE } from "../../src/api/names.ts";
import { isBench, isController, isSetImage, isWorkloadWrite, type AuditEvent } from "./audit.ts";
import { distribution, round1, type Distribution } from "./stats.ts";

export interface Reaction {
  readonly namespace: string;
  readonly kind: "approve" | "batch-ready" | "template-change";
  /** For batch-ready: "1→2", "3→4", "4→finish". */
  readonly transition?: string;
  readonly toFirstWriteMs: number;
  readonly toFirstWorkloadWriteMs: number;
  /** What the first workload write was, e.g. "patch replicasets web-59d4b9c65". */
  readonly firstWorkloadWrite: string;
  /**
   * Of toFirstWorkloadWriteMs, the time the controller spent waiting on its own Rollout writes on the way
   * (status, annotation removal: the API server's write latency, sequential in the reconcile).
   */
  readonly rolloutWritesMs: number;
  /**
   * The first write's distance from the last write anyone else made in the namespace before it (Events
   * aside), and what that was: when the controller waits for another controller (the ReplicaSet controller's
   * status update, say), this is the controller's own share of toFirstWriteMs.
   */
  readonly sinceLastInputMs: number;
  readonly lastInput: string;
}

interface StatusBody {
  readonly status?: { readonly phase?: string; readonly currentStepIndex?: number };
}

const ms = (us: number) => round1(us / 1000);
const describe = (e: AuditEvent) => `${e.verb} ${e.resource} ${e.name}`;

function isStatusWrite(e: AuditEvent): boolean {
  return isController(e) && e.resource === "rollouts" && e.subresource === "status" && e.code < 300;
}

function firstAfter(events: readonly AuditEvent[], us: number, match: (e: AuditEvent) => boolean) {
  return events.find((e) => e.receivedUs >= us && match(e));
}

/** `answer`: the controller write known to answer the trigger; by default its first write after it. */
function reaction(
  events: readonly AuditEvent[],
  namespace: string,
  kind: Reaction["kind"],
  triggerUs: number,
  transition?: string,
  answer?: AuditEvent,
): Reaction | undefined {
  const first = answer ?? firstAfter(events, triggerUs, isController);
  const workload = first === undefined ? undefined : firstAfter(events, first.receivedUs, isWorkloadWrite);
  if (first === undefined || workload === undefined) return undefined;
  const rolloutWrites = events.filter(
    (e) =>
      isController(e) &&
      e.resource === "rollouts" &&
      e.receivedUs >= triggerUs &&
      e.receivedUs < workload.receivedUs,
  );
  const inputs = events.filter(
    (e) => !isController(e) && e.resource !== "events" && e.completedUs <= first.receivedUs,
  );
  const input = inputs.at(-1);
  return {
    namespace,
    kind,
    ...(transition === undefined ? {} : { transition }),
    toFirstWriteMs: ms(first.receivedUs - triggerUs),
    toFirstWorkloadWriteMs: ms(workload.receivedUs - triggerUs),
    firstWorkloadWrite: describe(workload),
    rolloutWritesMs: ms(
      rolloutWrites.reduce((sum, e) => sum + Math.min(e.completedUs, workload.receivedUs) - e.receivedUs, 0),
    ),
    sinceLastInputMs: input === undefined ? Number.NaN : ms(first.receivedUs - input.completedUs),
    lastInput:
      input === undefined
        ? ""
        : `${input.verb} ${input.resource}${input.subresource === undefined ? "" : `/${input.subresource}`} by ${input.user}`,
  };
}

/** The reactions in one namespace; `pauseSteps` are the 1-based steps that wait for approval. */
export function reactionsIn(
  all: readonly AuditEvent[],
  namespace: string,
  pauseSteps: ReadonlySet<number>,
): Reaction[] {
  const events = all.filter((e) => e.namespace === namespace && e.code < 300);
  const out: Reaction[] = [];
  let step = 0;
  let phase = "";
  for (const e of events) {
    if (isBench(e) && e.resource === "rollouts" && e.verb === "patch") {
      const annotations = (e.body as { metadata?: { annotations?: Record<string, unknown> } } | undefined)
        ?.metadata?.annotations;
      if (annotations?.[ANNOTATION_APPROVE] != null) {
        const r = reaction(events, namespace, "approve", e.completedUs);
        if (r !== undefined) out.push(r);
      }
    } else if (isSetImage(e)) {
      const r = reaction(events, namespace, "template-change", e.completedUs);
      if (r !== undefined) out.push(r);
    } else if (isStatusWrite(e)) {
      const status = (e.body as StatusBody | undefined)?.status ?? {};
      const nextStep = status.currentStepIndex ?? 0;
      const nextPhase = status.phase ?? "";
      const stepped = step >= 1 && nextStep === step + 1 && !pauseSteps.has(step);
      const finishing = phase !== "Finalizing" && nextPhase === "Finalizing" && !pauseSteps.has(step);
      if (stepped || finishing) {
        // The pod whose readiness completed the batch: kwok's last pod status write before this one.
        const ready = events.filter(
          (p) => p.resource === "pods" && p.subresource === "status" && p.completedUs <= e.receivedUs,
        );
        const trigger = ready.at(-1);
        if (trigger !== undefined) {
          const label = stepped ? `${step}→${nextStep}` : `${step}→finish`;
          const r = reaction(events, namespace, "batch-ready", trigger.completedUs, label, e);
          if (r !== undefined) out.push(r);
        }
      }
      step = nextStep;
      phase = nextPhase;
    }
  }
  return out;
}

export interface ReactionSummary {
  readonly toFirstWrite: Distribution;
  readonly toFirstWorkloadWrite: Distribution;
  /** The part of toFirstWorkloadWrite spent in the controller's own Rollout writes, and the rest. */
  readonly inRolloutWrites: Distribution;
  readonly outsideRolloutWrites: Distribution;
  readonly firstWriteSinceLastInput: Distribution;
  /** How often each kind of last input preceded the first write (e.g. "update replicasets/status"). */
  readonly lastInputs: Readonly<Record<string, number>>;
}

export function summarize(reactions: readonly Reaction[]): ReactionSummary {
  return {
    toFirstWrite: distribution(reactions.map((r) => r.toFirstWriteMs)),
    toFirstWorkloadWrite: distribution(reactions.map((r) => r.toFirstWorkloadWriteMs)),
    inRolloutWrites: distribution(reactions.map((r) => r.rolloutWritesMs)),
    outsideRolloutWrites: distribution(reactions.map((r) => r.toFirstWorkloadWriteMs - r.rolloutWritesMs)),
    firstWriteSinceLastInput: distribution(reactions.map((r) => r.sinceLastInputMs)),
    lastInputs: tally(reactions.map((r) => r.lastInput)),
  };
}

function tally(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = (out[key] ?? 0) + 1;
  return out;
}
