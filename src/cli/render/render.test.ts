// Golden output of `get` renderings: fixed width, fixed clock, plain and coloured. UPDATE_GOLDEN=1 rewrites
// the files (review the diff).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { AnalysisTemplateSchema, type Metric } from "../../api/analysis-template.ts";
import type { KubeObject } from "../../kube/resources.ts";
import { asRollout } from "../rollouts.ts";
import { renderRollout, type RolloutView } from "./rollout-view.ts";
import { renderRolloutTable } from "./rollout-table.ts";
import { visible } from "./style.ts";

const dir = join(import.meta.dirname, "..", "testdata", "get");
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.replace(/\.yaml$/, ""));
const NOW = Date.parse("2025-03-01T10:05:00Z");

function load(name: string): RolloutView {
  const docs = parseAllDocuments(readFileSync(join(dir, `${name}.yaml`), "utf8")).map(
    (d) => d.toJS() as KubeObject & Record<string, unknown>,
  );
  const metrics = new Map<string, Metric>();
  for (const t of docs.filter((d) => d.kind === "AnalysisTemplate")) {
    for (const m of AnalysisTemplateSchema.parse(t).spec.metrics) metrics.set(m.name, m);
  }
  const workload = docs.find((d) => d.kind === "Deployment" || d.kind === "StatefulSet");
  return {
    rollout: asRollout(docs.find((d) => d.kind === "Rollout")),
    ...(workload === undefined ? {} : { workload }),
    metrics,
  };
}

function golden(file: string, actual: string): void {
  const path = join(dir, file);
  if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("get NAME rendering", () => {
  it.each(fixtures)("%s at 80 columns without colour", (name) => {
    golden(`${name}.golden`, renderRollout(load(name), { width: 80, color: false, now: NOW }));
  });

  it("colours only add ANSI sequences: the visible text is the plain rendering", () => {
    const view = load("paused-approval");
    const coloured = renderRollout(view, { width: 80, color: true, now: NOW });
    expect(coloured).toContain("\u001b[33m‖");
    expect(visible(coloured)).toBe(renderRollout(view, { width: 80, color: false, now: NOW }));
  });

  it("no line is wider than the terminal, at any width", () => {
    for (const name of fixtures) {
      for (const width of [60, 80, 100, 140]) {
        const text = renderRollout(load(name), { width, color: false, now: NOW });
        const widest = Math.max(...text.split("\n").map((l) => [...l].length));
        expect(widest, `${name} at ${width}`).toBeLessThanOrEqual(width);
      }
    }
  });

  it("bars follow the width: wider terminals get longer bars with the same proportions", () => {
    const view = load("paused-approval");
    const podsBar = (width: number) =>
      renderRollout(view, { width, color: false, now: NOW })
        .split("\n")
        .find((l) => l.includes("5 canary, 5 stable"))
        ?.match(/[█▓░]+/)?.[0] ?? "";
    const at80 = podsBar(80);
    const canary80 = [...at80].filter((c) => c === "█").length;
    expect([at80.length, Math.abs(canary80 * 2 - at80.length)]).toEqual([33, 1]);
    expect(podsBar(120)).toBe(`${"█".repeat(20)}${"░".repeat(20)}`);
  });

  it("the current step shows live pods (ready and not ready) and the approval command", () => {
    const text = renderRollout(load("statefulset-upgrading"), { width: 80, color: false, now: NOW });
    expect(text).toContain("▓");
    expect(text).toContain("2 canary, 3 stable, 1 ready");
    const paused = renderRollout(load("paused-approval"), { width: 80, color: false, now: NOW });
    expect(paused).toContain("waiting for approval: kubectl slipway approve web -n shop");
  });

  it("shows what holds a step, a promotion frozen by spec.paused, and background analysis after the release", () => {
    const promote = renderRollout(load("paused-promote"), { width: 100, color: false, now: NOW });
    expect(promote).toContain("Pending:    promote of step 1 (recorded; takes effect on resume)");
    const held = renderRollout(load("failure-pause-timer"), { width: 100, color: false, now: NOW });
    expect(held).not.toMatch(/^\s+paused until/m);
    expect(held).toContain("held: AnalysisFailed");
    const ended = renderRollout(load("healthy-background"), { width: 100, color: false, now: NOW });
    expect(ended).not.toContain("Running");
    expect(ended).toContain("error-rate  ✔ Successful");
  });

  it("counts stable pods from status, not N − canary, while the workload was just scaled down", () => {
    const view = load("paused-approval");
    const status = { ...view.rollout.status, stableReplicas: 5 };
    const workload = {
      ...view.workload,
      spec: { ...(view.workload as { spec?: object }).spec, replicas: 4 },
    };
    const scaled = { ...view, workload, rollout: { ...view.rollout, status } } as RolloutView;
    const text = renderRollout(scaled, { width: 100, color: false, now: NOW });
    expect(text).toContain("5 canary, 5 stable, 5 ready, target 2");
  });

  it("shows who approved a step once the controller recorded it", () => {
    const view = load("paused-approval");
    const status = view.rollout.status;
    const approved = {
      ...view,
      rollout: {
        ...view.rollout,
        status: {
          ...status,
          phase: "Progressing" as const,
          currentStepIndex: 3,
          currentStepState: "Upgrading" as const,
          steps: (status?.steps ?? []).map((s) =>
            s.index === 2 ? { ...s, phase: "Succeeded" as const, approvedBy: "alice@example.com" } : s,
          ),
        },
      },
    };
    const text = renderRollout(approved, { width: 80, color: false, now: NOW });
    expect(text).toContain("pause     approved by alice@example.com");
    expect(text).toMatch(/✔ 2 {2}done/);
    expect(text).toMatch(/▶ 3 {2}Upgrading/);
  });
});

describe("get (table)", () => {
  const rollouts = fixtures.map((name) => load(name).rollout);

  it("one line per Rollout in one namespace", () => {
    golden("table.golden", renderRolloutTable(rollouts, { allNamespaces: false, now: NOW }));
  });

  it("-A adds the NAMESPACE column and sorts by namespace, then name", () => {
    const text = renderRolloutTable(rollouts, { allNamespaces: true, now: NOW });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAMESPACE {2,}NAME {2,}WORKLOAD/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join("/"))).toEqual([
      "data/db",
      "shop/api",
      ...Array<string>(5).fill("shop/web"),
    ]);
  });
});
