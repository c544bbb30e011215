// Test helpers for analysis: template objects, an in-memory template source, answers, a scripted provider
// and a loop that drives a workflow through the engine (fake or real time).
import { API_VERSION, KIND_ANALYSIS_TEMPLATE } from "../../api/names.ts";
import {
  isRunFinished,
  tick,
  type JsonObject,
  type StepRegistry,
  type WorkflowDefinition,
  type WorkflowState,
} from "../../workflow/index.ts";
import type { ParsedResponse } from "../prometheus-response.ts";
import type { MetricProvider } from "../provider.ts";
import type { AnalysisScope, PreparedMetric, TemplateSource } from "../templates.ts";

export const SCOPE: AnalysisScope = {
  rollout: { name: "web", namespace: "shop" },
  canaryRevision: "canary1",
  stableRevision: "stable1",
  clusterSecretNamespace: "slipway-system",
};

/** The name the rollout compiler gives the first gate of step 2. */
export const GATE_STEP = "step-2.analysis.1";

/** A one-step workflow: the gate of step 2 on template "gate" with argument service. */
export function gateDefinition(service = "web", extra: JsonObject = {}): WorkflowDefinition {
  return {
    steps: [
      {
        name: GATE_STEP,
        type: "analysis",
        properties: {
          step: 2,
          template: { name: "gate", clusterScope: false },
          args: [{ name: "service", value: service }],
          ...extra,
        },
      },
    ],
  };
}

export interface MetricFixture {
  readonly name?: string;
  readonly query?: string;
  readonly address?: string;
  readonly [field: string]: unknown;
}

/** An AnalysisTemplate object as the API server would hold it. */
export function analysisTemplate(
  name: string,
  metrics: readonly MetricFixture[],
  args: readonly { name: string; value?: string }[] = [],
): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: KIND_ANALYSIS_TEMPLATE,
    metadata: { name, namespace: SCOPE.rollout.namespace },
    spec: {
      ...(args.length > 0 ? { args } : {}),
      metrics: metrics.map(({ name: metricName, query, address, ...rest }) => ({
        name: metricName ?? "m",
        provider: { prometheus: { address: address ?? "http://127.0.0.1:9", query: query ?? "up" } },
        ...rest,
      })),
    },
  };
}

/** A template source over a mutable map (tests add, change and delete templates). */
export function memoryTemplates(
  templates: Record<string, unknown> = {},
): TemplateSource & { templates: Record<string, unknown> } {
  return {
    templates,
    analysisTemplate(namespace, name) {
      return namespace === SCOPE.rollout.namespace ? templates[name] : undefined;
    },
    clusterAnalysisTemplate: () => undefined,
  };
}

export const answer = {
  values: (...values: number[]): ParsedResponse => ({
    ok: true,
    result: {
      kind: "values",
      values,
      text: values.length === 1 ? String(values[0]) : `[${values.join(", ")}]`,
    },
    warnings: [],
  }),
  empty: (): ParsedResponse => ({
    ok: true,
    result: { kind: "noData", why: "the query returned an empty vector", text: "[]" },
    warnings: [],
  }),
  error: (error = "cannot reach Prometheus at http://127.0.0.1:9: ECONNREFUSED"): ParsedResponse => ({
    ok: false,
    error,
  }),
};

export interface ScriptedProvider extends MetricProvider {
  readonly calls: { readonly key: string; readonly query: string }[];
}

/** Answers from `script(callNumber, metric)`, counting calls per metric key. */
export function scriptedProvider(
  script: (call: number, metric: PreparedMetric) => ParsedResponse,
): ScriptedProvider {
  const calls: { key: string; query: string }[] = [];
  return {
    calls,
    measure(metric) {
      const n = calls.filter((c) => c.key === metric.key).length;
      calls.push({ key: metric.key, query: metric.query });
      return Promise.resolve(script(n, metric));
    },
  };
}

export interface DriveOptions {
  /** Clock for each tick; default: jump to nextWakeAt (fake time). */
  readonly clock?: () => number;
  /** Real-time mode: sleep until nextWakeAt. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly maxTicks?: number;
  /** Called after each tick; may return the state to persist instead (restart, resume, crash). */
  readonly between?: (
    state: WorkflowState,
    tickNumber: number,
    now: number,
  ) => WorkflowState | undefined | void | Promise<WorkflowState | undefined | void>;
  /** A new registry per tick (a restarted controller). */
  readonly registry: (tickNumber: number) => StepRegistry;
  /** Stop when this is true (e.g. the run suspended). */
  readonly until?: (state: WorkflowState) => boolean;
}

/** Ticks a run until it finishes (or `until`), persisting state as JSON between ticks. */
export async function drive(
  definition: WorkflowDefinition,
  initial: WorkflowState,
  options: DriveOptions,
): Promise<{ state: WorkflowState; ticks: number; now: number }> {
  let json = JSON.stringify(initial);
  let now = initial.startedAt;
  for (let n = 0; n < (options.maxTicks ?? 200); n++) {
    if (options.clock !== undefined) now = options.clock();
    const result = await tick(definition, JSON.parse(json) as WorkflowState, now, options.registry(n));
    const persisted = (await options.between?.(result.state, n, now)) ?? result.state;
    json = JSON.stringify(persisted);
    const state = JSON.parse(json) as WorkflowState;
    if (isRunFinished(state.phase) || options.until?.(state) === true) return { state, ticks: n + 1, now };
    const wake = result.nextWakeAt;
    if (options.sleep !== undefined) {
      await options.sleep(wake === undefined ? 200 : Math.max(0, wake - Date.now()));
    } else {
      if (wake === undefined && persisted === result.state)
        throw new Error(`run is stuck: ${state.message ?? ""}`);
      now = wake === undefined ? now + 1 : Math.max(now + 1, wake);
    }
  }
  throw new Error("run did not finish within maxTicks");
}
