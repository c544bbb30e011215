// API writes per step, from the audit log: every mutating request of the controller in a lane's namespace,
// assigned to the step the Rollout's status last announced (the status write that starts step k, and the
// Events it emits next, count for step k), by category. A write is "no-op" when the API server accepted it
// without changing the object (same resourceVersion before and after) and "conflict" when it failed on its
// precondition: a resourceVersion (409) or the `test` ops of a guarded JSON Patch (422): both are round
// trips that achieved nothing.
import { category, isController, isSetImage, type AuditEvent, type WriteCategory } from "./audit.ts";

export type StepLabel = string; // "start", "step 1", …, "finish"

export interface ReleaseWrites {
  readonly namespace: string;
  /** Per step, per category: controller writes (each attempt counts, failed ones too). */
  readonly counts: Readonly<Record<StepLabel, Partial<Record<WriteCategory, number>>>>;
  readonly total: number;
  readonly wasted: readonly WastedWrite[];
  /** Status writes whose only change from the previous one is a pod count (canaryReplicas, canaryReadyReplicas, stableReplicas). */
  readonly countOnlyStatusWrites: number;
}

const COUNTS = new Set(["canaryReplicas", "canaryReadyReplicas", "stableReplicas"]);

/** Top-level status fields that differ between two written statuses. */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
}

export interface WastedWrite {
  readonly step: StepLabel;
  readonly kind: "no-op" | "conflict";
  readonly write: string;
  /** For status writes: the message it carried; for others, the body (shortened). */
  readonly detail: string;
}

interface StatusBody {
  readonly status?: {
    readonly phase?: string;
    readonly currentStepIndex?: number;
    readonly message?: string;
  };
}

function labelOf(body: unknown): StepLabel {
  const status = (body as StatusBody | undefined)?.status ?? {};
  if (status.phase === "Finalizing" || status.phase === "Healthy") return "finish";
  const step = status.currentStepIndex ?? 0;
  return step === 0 ? "start" : `step ${step}`;
}

function wasted(e: AuditEvent): WastedWrite["kind"] | undefined {
  // A guarded patch (a ReplicaSet scale) fails its `test` ops with 422; the controller sends nothing else
  // that the API server could refuse as invalid, so every 422 here is a lost race too.
  if (e.code === 409 || e.code === 422) return "conflict";
  if (e.code < 300 && e.verb !== "create" && e.requestVersion !== undefined)
    return e.requestVersion === e.responseVersion ? "no-op" : undefined;
  return undefined;
}

function detailOf(e: AuditEvent): string {
  if (e.resource === "rollouts" && e.subresource === "status")
    return ((e.body as StatusBody | undefined)?.status?.message ?? "").slice(0, 120);
  const body = e.body as { metadata?: Record<string, unknown> } | undefined;
  if (body === undefined) return "";
  const { resourceVersion: _rv, ...metadata } = body.metadata ?? {};
  return JSON.stringify({ ...body, metadata }).slice(0, 200);
}

/** Splits a lane's events into releases (at each `set image` of the benchmark) and counts each. */
export function writesPerRelease(all: readonly AuditEvent[], namespace: string): ReleaseWrites[] {
  const events = all.filter((e) => e.namespace === namespace);
  const starts = events.filter(isSetImage);
  return starts.map((start, i) => {
    const end = starts[i + 1]?.receivedUs ?? Number.POSITIVE_INFINITY;
    const mine = events.filter(
      (e) => isController(e) && e.receivedUs > start.receivedUs && e.receivedUs < end,
    );
    const counts: Record<StepLabel, Partial<Record<WriteCategory, number>>> = {};
    const waste: WastedWrite[] = [];
    let step: StepLabel = "start";
    let previous: Record<string, unknown> | undefined;
    let countOnly = 0;
    for (const e of mine) {
      if (e.resource === "rollouts" && e.subresource === "status") {
        step = labelOf(e.body);
        const status = (e.body as { status?: Record<string, unknown> } | undefined)?.status ?? {};
        const changed = previous === undefined ? [] : changedFields(previous, status);
        if (changed.length > 0 && changed.every((k) => COUNTS.has(k))) countOnly += 1;
        if (e.code < 300) previous = status;
      }
      const c = category(e);
      const row = (counts[step] ??= {});
      row[c] = (row[c] ?? 0) + 1;
      const kind = wasted(e);
      if (kind !== undefined)
        waste.push({
          step,
          kind,
          write: `${e.verb} ${e.resource}${e.subresource ? `/${e.subresource}` : ""} ${e.name}`,
          detail: detailOf(e),
        });
    }
    return { namespace, counts, total: mine.length, wasted: waste, countOnlyStatusWrites: countOnly };
  });
}

export interface StepWrites {
  readonly step: StepLabel;
  /** Median over the releases, per category and in total; min and max of the total. */
  readonly median: Partial<Record<WriteCategory, number>>;
  readonly medianTotal: number;
  readonly minTotal: number;
  readonly maxTotal: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const STEP_ORDER: readonly StepLabel[] = ["start", "step 1", "step 2", "step 3", "step 4", "finish"];
const CATEGORIES: readonly WriteCategory[] = [
  "rollout-status",
  "rollout",
  "deployment",
  "replicaset",
  "event",
  "lease",
  "other",
];

export function perStep(releases: readonly ReleaseWrites[]): StepWrites[] {
  return STEP_ORDER.map((step) => {
    const median_: Partial<Record<WriteCategory, number>> = {};
    for (const c of CATEGORIES) {
      const m = median(releases.map((r) => r.counts[step]?.[c] ?? 0));
      if (m > 0) median_[c] = m;
    }
    const totals = releases.map((r) => Object.values(r.counts[step] ?? {}).reduce((a, b) => a + b, 0));
    return {
      step,
      median: median_,
      medianTotal: median(totals),
      minTotal: Math.min(...totals),
      maxTotal: Math.max(...totals),
    };
  });
}

export function totals(
  releases: readonly ReleaseWrites[],
  pick: (r: ReleaseWrites) => number = (r) => r.total,
) {
  const t = releases.map(pick);
  return { median: median(t), min: Math.min(...t), max: Math.max(...t) };
}

/** Wasted writes grouped by kind, step and write, with how many releases had them. */
export function wastedSummary(releases: readonly ReleaseWrites[]) {
  const groups = new Map<
    string,
    { kind: string; step: string; write: string; count: number; example: string }
  >();
  for (const r of releases) {
    for (const w of r.wasted) {
      const write = w.write.replace(/ \S+$/, "");
      const key = `${w.kind}|${w.step}|${write}`;
      const g = groups.get(key) ?? { kind: w.kind, step: w.step, write, count: 0, example: w.detail };
      g.count += 1;
      groups.set(key, g);
    }
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
