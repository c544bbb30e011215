// One metric gate in `get NAME`: its outcome so far, the last values with a mark per measurement, and
// the conditions they were judged against (when the template is readable).
import type { Measurement, MeasurementPhase, MetricPhase, MetricStatus } from "../../api/rollout-status.ts";
import type { StepContext } from "./step-lines.ts";
import type { Style } from "./style.ts";
import { flow, hang } from "./text.ts";

function measurementMark(phase: MeasurementPhase, style: Style): string {
  switch (phase) {
    case "Successful":
      return style.ok("✔");
    case "Failed":
      return style.bad("✖");
    case "Inconclusive":
      return style.warn("?");
    case "Error":
      return style.bad("!");
  }
}

function metricPhase(phase: MetricPhase, style: Style): string {
  switch (phase) {
    case "Successful":
      return style.ok("✔ Successful");
    case "Failed":
      return style.bad("✖ Failed");
    case "Inconclusive":
      return style.warn("? Inconclusive");
    case "Error":
      return style.bad("! Error");
    case "Running":
      return style.info("◌ Running");
    case "Pending":
      return style.dim("○ Pending");
  }
}

function valueText(m: Measurement): string {
  return m.value ?? (m.phase === "Error" ? "error" : "no data");
}

/** Lines for one metric; the first starts with `first`, the rest are indented to line up under it. */
export function renderMetric(metric: MetricStatus, ctx: StepContext, first: string): string[] {
  const { style, width } = ctx;
  const definition = ctx.metrics.get(metric.metric);
  const total = definition?.count;
  const taken = metric.count ?? metric.measurements?.length ?? 0;
  const progress = total === undefined ? `${taken} measured` : `${taken}/${total}`;
  const lines = [`${first}${metric.metric}  ${metricPhase(metric.phase, style)}  ${progress}`];
  const indent = `${" ".repeat(first.length)}  `;
  const values = (metric.measurements ?? []).map((m) => `${valueText(m)} ${measurementMark(m.phase, style)}`);
  for (const line of flow(values, Math.max(20, width - indent.length))) lines.push(`${indent}${line}`);
  if (definition?.successCondition !== undefined) {
    lines.push(...hang(`${indent}pass if `, definition.successCondition, width).map(style.dim));
  }
  if (definition?.failureCondition !== undefined) {
    lines.push(...hang(`${indent}fail if `, definition.failureCondition, width).map(style.dim));
  }
  if (metric.message !== undefined && metric.message !== "") {
    lines.push(...hang(indent, metric.message, width).map(style.dim));
  }
  return lines;
}
