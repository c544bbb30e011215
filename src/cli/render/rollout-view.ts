// `kubectl slipway get NAME`: one Rollout as a person wants to see it. A pure function of the Rollout
// (plus, when known, its workload and the metric definitions of its templates), the width, colour and
// the clock, so every rendering has a golden test.
import type { Metric } from "../../api/analysis-template.ts";
import {
  ANNOTATION_ABORT,
  ANNOTATION_APPROVE,
  ANNOTATION_APPROVED_BY,
  ANNOTATION_PROMOTE,
  ANNOTATION_RETRY,
} from "../../api/names.ts";
import type { MetricStatus, RolloutPhase } from "../../api/rollout-status.ts";
import type { Rollout } from "../../api/rollout.ts";
import type { KubeObject } from "../../kube/resources.ts";
import { renderMetric } from "./analysis.ts";
import { stepLines, type StepContext } from "./step-lines.ts";
import { plannedSteps, plannedTraffic, releaseInProgress, replicasOf } from "./steps.ts";
import { styleFor, type Style } from "./style.ts";
import { age, elapsed, hang } from "./text.ts";

export interface RolloutView {
  readonly rollout: Rollout;
  readonly workload?: KubeObject;
  readonly metrics?: ReadonlyMap<string, Metric>;
}

export interface RenderOptions {
  readonly width: number;
  readonly color: boolean;
  /** Milliseconds since the epoch: ages and "for 3m" are relative to it. */
  readonly now: number;
}

const LABEL = 12;
const HISTORY_SHOWN = 3;

export function phaseMark(phase: RolloutPhase | undefined, style: Style): string {
  switch (phase) {
    case "Healthy":
      return style.ok("✔ Healthy");
    case "Progressing":
      return style.info("◌ Progressing");
    case "Paused":
      return style.warn("‖ Paused");
    case "Aborted":
      return style.bad("✖ Aborted");
    case "Initializing":
      return style.info("◌ Initializing");
    case "Finalizing":
      return style.info("◌ Finalizing");
    case "Disabled":
      return style.dim("○ Disabled");
    case undefined:
      return style.dim("? not reconciled yet");
  }
}

/** `web -n shop`: what to append to a suggested command. */
export function commandTarget(rollout: Rollout): string {
  return `${rollout.metadata.name} -n ${rollout.metadata.namespace ?? "default"}`;
}

export function renderRollout(view: RolloutView, options: RenderOptions): string {
  const { rollout } = view;
  const style = styleFor(options.color);
  const replicas = replicasOf(view.workload);
  const ctx: StepContext = {
    rollout,
    style,
    width: options.width,
    now: options.now,
    replicas,
    planned: plannedSteps(rollout, replicas),
    traffic: plannedTraffic(rollout),
    routed: rollout.spec.strategy.canary.trafficRouting !== undefined,
    metrics: view.metrics ?? new Map(),
    target: commandTarget(rollout),
  };
  const lines = [...header(view, ctx), "", `${style.bold("Steps:")}`];
  rollout.spec.strategy.canary.steps.forEach((_, i) => lines.push(...stepLines(i + 1, ctx)));
  lines.push(...background(ctx), ...history(ctx));
  return lines.map((l) => `${l.trimEnd()}\n`).join("");
}

function field(label: string, text: string, width: number): string[] {
  return hang(`${label}:`.padEnd(LABEL), text, width);
}

function header(view: RolloutView, ctx: StepContext): string[] {
  const { rollout, style, width } = ctx;
  const status = rollout.status;
  const ref = rollout.spec.workloadRef;
  const n = rollout.spec.strategy.canary.steps.length;
  const lines = [
    ...field("Rollout", `${rollout.metadata.namespace ?? ""}/${rollout.metadata.name}`, width),
    ...field(
      "Workload",
      `${ref.kind}/${ref.name}${
        view.workload === undefined ? " (not found or not readable)" : `, ${ctx.replicas ?? "?"} replicas`
      }`,
      width,
    ),
  ];
  const state = status?.currentStepState;
  const step = releaseInProgress(status)
    ? ` at step ${status?.currentStepIndex}/${n}${state !== undefined && state !== status?.phase ? ` (${state})` : ""}`
    : "";
  lines.push(`${"Status:".padEnd(LABEL)}${phaseMark(status?.phase, style)}${step}`);
  if (status?.message) lines.push(...field("Message", status.message, width));
  if (rollout.spec.paused === true) {
    lines.push(style.warn(`${"Paused:".padEnd(LABEL)}by spec.paused: no progress until resumed`));
    lines.push(`${" ".repeat(LABEL)}resume: kubectl slipway resume ${ctx.target}`);
  }
  if (rollout.spec.disabled === true) lines.push(...field("Disabled", "releases go out natively", width));
  const revisions = [
    status?.stableRevision ? `stable ${status.stableRevision}` : undefined,
    status?.canaryRevision && releaseInProgress(status) ? `canary ${status.canaryRevision}` : undefined,
  ].filter((r) => r !== undefined);
  if (revisions.length > 0) lines.push(...field("Revisions", revisions.join(", "), width));
  if (releaseInProgress(status)) {
    const canary = `${status?.canaryReplicas ?? 0} pods, ${status?.canaryReadyReplicas ?? 0} ready`;
    const traffic = ctx.routed ? `, ${status?.trafficWeight ?? 0}% of traffic` : "";
    lines.push(...field("Canary", `${canary}${traffic}`, width));
  }
  if (!ctx.routed) {
    lines.push(...field("Traffic", "no trafficRouting: the Service spreads requests over all pods", width));
  }
  const requested = pendingActions(rollout);
  const frozen = frozenPromotion(rollout);
  if (frozen !== undefined) {
    lines.push(...field("Pending", `${frozen} (recorded; takes effect on resume)`, width).map(style.info));
  }
  if (requested.length > 0) {
    lines.push(
      ...field("Requested", `${requested.join("; ")} (waiting for the controller)`, width).map(style.info),
    );
  }
  return lines;
}

/** Action annotations the controller has not consumed yet (it removes them once it acted). */
function pendingActions(rollout: Rollout): string[] {
  const annotations = (rollout.metadata["annotations"] ?? {}) as Readonly<Record<string, string>>;
  const out: string[] = [];
  const approve = annotations[ANNOTATION_APPROVE];
  if (approve !== undefined) {
    const by = annotations[ANNOTATION_APPROVED_BY];
    out.push(`approve ${approve}${by === undefined ? "" : ` by ${by}`}`);
  }
  if (annotations[ANNOTATION_ABORT] !== undefined) out.push("abort");
  if (annotations[ANNOTATION_RETRY] !== undefined) out.push("retry");
  const promote = annotations[ANNOTATION_PROMOTE];
  if (promote !== undefined) out.push(promote === "full" ? "promote --full" : "promote");
  return out;
}

/**
 * A promote the controller recorded but cannot act on while spec.paused freezes the release: the annotation
 * is consumed, so only the record (status.workflow.promotion, for the run's current generation) shows it.
 */
function frozenPromotion(rollout: Rollout): string | undefined {
  if (rollout.spec.paused !== true || !releaseInProgress(rollout.status)) return undefined;
  const workflow = (rollout.status as { workflow?: unknown } | undefined)?.workflow as
    | {
        promotion?: { generation?: number; full?: boolean; throughStep?: number };
        run?: { generation?: number };
      }
    | undefined;
  const promotion = workflow?.promotion;
  if (promotion === undefined || promotion.generation !== workflow?.run?.generation) return undefined;
  if (promotion.full === true) return "promote --full";
  const through = promotion.throughStep ?? 0;
  return through >= (rollout.status?.currentStepIndex ?? 0) ? `promote of step ${through}` : undefined;
}

function background(ctx: StepContext): string[] {
  const { rollout, style } = ctx;
  const bg = rollout.spec.strategy.canary.analysis;
  if (bg === undefined) return [];
  const lines = ["", style.bold(`Background analysis (from step ${bg.startingStep ?? 1}):`)];
  const metrics = rollout.status?.backgroundAnalysis ?? [];
  if (metrics.length === 0) {
    lines.push(`  ${bg.templates.map((t) => t.name).join(", ")}: ${style.dim("not started")}`);
  }
  for (const metric of metrics) lines.push(...renderMetric(endedMetric(metric, rollout), ctx, "  "));
  return lines;
}

/**
 * A background analysis still Running once the release is over stopped with it: a release that succeeded
 * passed it (it never failed), any other end stopped it unfinished. Shown so, not as measuring on.
 */
function endedMetric(metric: MetricStatus, rollout: Rollout): MetricStatus {
  const status = rollout.status;
  if (releaseInProgress(status) || (metric.phase !== "Running" && metric.phase !== "Pending")) return metric;
  const last = [...(status?.history ?? [])]
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
    .at(-1);
  if (last === undefined) return metric;
  return last.outcome === "Succeeded"
    ? { ...metric, phase: "Successful", message: "ended with the release, which succeeded" }
    : { ...metric, message: `stopped unfinished: the release was ${last.outcome}` };
}

function history(ctx: StepContext): string[] {
  const { rollout, style, now, width } = ctx;
  const entries = rollout.status?.history ?? [];
  if (entries.length === 0) return [];
  const lines = ["", style.bold("History:")];
  const newestFirst = [...entries].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  for (const entry of newestFirst.slice(0, HISTORY_SHOWN)) {
    const paint =
      entry.outcome === "Succeeded" ? style.ok : entry.outcome === "Superseded" ? style.dim : style.bad;
    const took =
      entry.finishedAt === undefined ? undefined : elapsed(entry.startedAt, Date.parse(entry.finishedAt));
    const when =
      entry.finishedAt === undefined
        ? `started ${age(entry.startedAt, now)} ago`
        : `${age(entry.finishedAt, now)} ago${took === undefined ? "" : `, took ${took}`}`;
    const text = `${entry.outcome} ${when}${entry.reason ? `: ${entry.reason}` : ""}`;
    const first = `  ${entry.revision}  `;
    const wrapped = hang(first, text, width);
    lines.push(...wrapped.map((l, i) => (i === 0 ? `${first}${paint(l.slice(first.length))}` : l)));
  }
  const more = entries.length - HISTORY_SHOWN;
  if (more > 0) lines.push(style.dim(`  … ${more} older (kubectl slipway get ${ctx.target} -o yaml)`));
  return lines;
}
