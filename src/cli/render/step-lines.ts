// The lines of one step in `get NAME`: its mark (done, current, waiting…), a bar of canary vs stable pods,
// a bar of traffic, the analysis values against their conditions, and the pause with who approved it.
import type { Metric } from "../../api/analysis-template.ts";
import { pauseOf } from "../../api/defaults.ts";
import { formatDuration } from "../../api/primitives.ts";
import type { CanaryStep, Rollout } from "../../api/rollout.ts";
import type { PlannedStep } from "../../plan/resolve.ts";
import { renderMetric } from "./analysis.ts";
import { standingOf, stepStatusOf, type StepStanding } from "./steps.ts";
import { visible, type Style } from "./style.ts";
import { bar, elapsed, hang, type BarPart } from "./text.ts";

export interface StepContext {
  readonly rollout: Rollout;
  readonly style: Style;
  readonly width: number;
  readonly now: number;
  readonly replicas: number | undefined;
  readonly planned: readonly PlannedStep[] | undefined;
  readonly traffic: readonly number[];
  readonly routed: boolean;
  readonly metrics: ReadonlyMap<string, Metric>;
  /** `web -n shop`, for suggested commands. */
  readonly target: string;
}

/** Step lines start with "  ✔ 1  "; their detail lines are indented under the step's text. */
export const DETAIL_INDENT = "       ";
const LABEL = 10;

export function barWidth(width: number): number {
  return Math.min(40, Math.max(10, width - DETAIL_INDENT.length - LABEL - 30));
}

function detail(label: string): string {
  return `${DETAIL_INDENT}${label.padEnd(LABEL)}`;
}

/** `label bar  text` on one line when it fits, else the text continues on the next line under the bar. */
function barLine(label: string, drawn: string, text: string, width: number): string[] {
  const line = `${detail(label)}${drawn}  ${text}`;
  if (visible(line).length <= width) return [line];
  return [`${detail(label)}${drawn}`, ...hang(" ".repeat(detail(label).length), visible(text), width)];
}

function mark(standing: StepStanding, paused: boolean, style: Style): string {
  switch (standing) {
    case "done":
      return style.ok("✔");
    case "current":
      return paused ? style.warn("‖") : style.info("▶");
    case "failed":
      return style.bad("✖");
    case "skipped":
      return style.dim("↷");
    case "waiting":
      return style.dim("○");
  }
}

export function stepLines(index: number, ctx: StepContext): string[] {
  const step = ctx.rollout.spec.strategy.canary.steps[index - 1];
  if (step === undefined) return [];
  const status = ctx.rollout.status;
  const standing = standingOf(index, status);
  const paused = standing === "current" && status?.currentStepState === "Paused";
  const lines = [title(index, standing, paused, ctx), ...pods(index, step, standing, ctx)];
  if (ctx.routed) lines.push(...traffic(index, standing, ctx), ...matches(step, ctx));
  if (step.analysis !== undefined) lines.push(...analysis(index, step, standing, ctx));
  lines.push(...pause(index, step, standing, paused, ctx));
  const message = liveStepMessage(stepStatusOf(index, status)?.message, ctx);
  if (message !== undefined && (standing === "current" || standing === "failed")) {
    const paint = standing === "failed" ? ctx.style.bad : ctx.style.dim;
    lines.push(...hang(DETAIL_INDENT, message, ctx.width).map(paint));
  }
  return lines;
}

/**
 * A timed pause's `paused until T` once T is past means something else holds the step (a failure pause,
 * spec.paused): say that instead of a deadline that has gone by.
 */
function liveStepMessage(message: string | undefined, ctx: StepContext): string | undefined {
  const until = /^paused until (\S+)$/.exec(message ?? "")?.[1];
  if (until === undefined || !(Date.parse(until) <= ctx.now)) return message;
  const held = ctx.rollout.status?.conditions?.find((c) => c.type === "Paused" && c.status === "True");
  const why = held === undefined ? "waiting for the controller" : `held: ${held.reason ?? "Paused"}`;
  return `pause timer ended at ${until}; ${why} (see Message)`;
}

function title(index: number, standing: StepStanding, paused: boolean, ctx: StepContext): string {
  const recorded = stepStatusOf(index, ctx.rollout.status);
  const digits = String(ctx.rollout.spec.strategy.canary.steps.length).length;
  const head = `  ${mark(standing, paused, ctx.style)} ${String(index).padStart(digits)}  `;
  switch (standing) {
    case "done": {
      const end = recorded?.finishedAt === undefined ? undefined : Date.parse(recorded.finishedAt);
      const took = end === undefined ? undefined : elapsed(recorded?.startedAt, end);
      return `${head}${ctx.style.ok("done")}${took === undefined ? "" : ` in ${took}`}`;
    }
    case "current": {
      const state = ctx.rollout.status?.currentStepState ?? "Running";
      const since = elapsed(recorded?.startedAt, ctx.now);
      const text = `${state}${since === undefined ? "" : ` for ${since}`}`;
      return `${head}${paused ? ctx.style.warn(text) : ctx.style.info(text)}`;
    }
    case "failed":
      return `${head}${ctx.style.bad("failed")}`;
    case "skipped":
      return `${head}${ctx.style.dim("skipped")}`;
    case "waiting":
      return `${head}${ctx.style.dim("waiting")}`;
  }
}

function pods(index: number, step: CanaryStep, standing: StepStanding, ctx: StepContext): string[] {
  const plan = ctx.planned?.[index - 1];
  const replicas = ctx.replicas;
  if (plan === undefined || replicas === undefined) {
    const what =
      typeof step.replicas === "number"
        ? `${step.replicas} pod${step.replicas === 1 ? "" : "s"}`
        : `${step.replicas} of the pods`;
    return [`${detail("pods")}${what} on the canary`];
  }
  const width = barWidth(ctx.width);
  const status = ctx.rollout.status;
  const dim = standing === "waiting" || standing === "skipped";
  if (standing === "current" && status?.canaryReplicas !== undefined) {
    const canary = status.canaryReplicas;
    const ready = Math.min(canary, status.canaryReadyReplicas ?? 0);
    // The controller's count when it reports one (N − canary is wrong while pods move or N changes).
    const stable = status.stableReplicas ?? Math.max(0, replicas - canary);
    const parts: BarPart[] = [
      { units: ready, char: "█", paint: ctx.style.ok },
      { units: canary - ready, char: "▓", paint: ctx.style.warn },
      { units: stable, char: "░" },
    ];
    const target = canary === plan.canaryReplicas ? "" : `, target ${plan.canaryReplicas}`;
    const text = `${canary} canary, ${stable} stable, ${ready} ready${target}`;
    return barLine("pods", bar(width, parts), text, ctx.width);
  }
  const parts: BarPart[] = [
    { units: plan.canaryReplicas, char: "█", paint: dim ? ctx.style.dim : ctx.style.ok },
    { units: plan.stableReplicas, char: "░" },
  ];
  const text = `${plan.canaryReplicas} canary, ${plan.stableReplicas} stable`;
  return barLine("pods", bar(width, parts), dim ? ctx.style.dim(text) : text, ctx.width);
}

/** Requests routed to the canary whatever the weight: `x-canary=true or x-beta~^yes` (~ is a regex). */
function matches(step: CanaryStep, ctx: StepContext): string[] {
  const each = (step.matches ?? []).map((m) =>
    m.headers.map((h) => `${h.name}${h.type === "RegularExpression" ? "~" : "="}${h.value}`).join(" and "),
  );
  return each.length === 0 ? [] : hang(detail("matches"), `header ${each.join(" or ")}`, ctx.width);
}

function traffic(index: number, standing: StepStanding, ctx: StepContext): string[] {
  const planned = ctx.traffic[index - 1] ?? 0;
  // The live weight for the current step (none written yet means none shifted yet).
  const weight = standing === "current" ? (ctx.rollout.status?.trafficWeight ?? 0) : planned;
  const dim = standing === "waiting" || standing === "skipped";
  const parts: BarPart[] = [
    { units: weight, char: "█", paint: dim ? ctx.style.dim : ctx.style.info },
    { units: 100 - weight, char: "░" },
  ];
  const target = weight === planned ? "" : `, target ${planned}%`;
  return barLine(
    "traffic",
    bar(barWidth(ctx.width), parts),
    `${`${weight}%`.padStart(4)}${target}`,
    ctx.width,
  );
}

function analysis(index: number, step: CanaryStep, standing: StepStanding, ctx: StepContext): string[] {
  const recorded = stepStatusOf(index, ctx.rollout.status)?.analysis ?? [];
  const first = detail("analysis");
  if (recorded.length === 0) {
    const names = (step.analysis?.templates ?? []).map((t) => t.name).join(", ");
    const note = standing === "waiting" ? "" : ctx.style.dim(" (no measurements yet)");
    return [`${first}${names}${note}`];
  }
  const blank = " ".repeat(first.length);
  return recorded.flatMap((metric, i) => renderMetric(metric, ctx, i === 0 ? first : blank));
}

function pause(
  index: number,
  step: CanaryStep,
  standing: StepStanding,
  paused: boolean,
  ctx: StepContext,
): string[] {
  const p = pauseOf(step.pause);
  if (p.kind === "none") return [];
  const approvedBy = stepStatusOf(index, ctx.rollout.status)?.approvedBy;
  const approved = approvedBy === undefined ? "" : `approved by ${approvedBy}`;
  const first = detail("pause");
  if (p.kind === "approval") {
    if (approved !== "") return [`${first}${ctx.style.ok(approved)}`];
    if (paused) {
      return hang(first, `waiting for approval: kubectl slipway approve ${ctx.target}`, ctx.width).map(
        ctx.style.warn,
      );
    }
    return [`${first}${standing === "done" ? "approved" : "wait for approval"}`];
  }
  const timer = formatDuration(p.seconds);
  const suffix = approved === "" ? "" : `, ${approved}`;
  if (paused) return [`${first}${ctx.style.warn(`waiting ${timer}`)}${suffix}`];
  return [`${first}${timer}${suffix}`];
}
