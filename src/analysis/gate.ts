// The durable core shared by step gates and background analysis: which metric is due, taking its
// measurement, counting it and deciding outcomes. All timing (next measurement time) and counters live in
// GateState, plain JSON that the caller persists (the engine's step memory, or the release record), so a
// restarted controller continues the same gate: it never restarts the count, and because each measurement
// carries its index, one that was taken but not persisted is taken again under the same index, never twice.
import type { MeasurementPhase } from "../api/rollout-status.ts";
import { MAX_MEASUREMENTS } from "../api/rollout-status.ts";
import { evaluateMeasurement, type MeasurementVerdict } from "./evaluate.ts";
import {
  countMeasurement,
  gateOutcome,
  metricOutcome,
  NO_MEASUREMENTS,
  type Counters,
  type Outcome,
} from "./outcome.ts";
import type { MetricProvider } from "./provider.ts";
import type { PreparedMetric } from "./templates.ts";

export const GATE_STATE_VERSION = 1;
/** Longest message kept per measurement: status stays small; the step message has the full text. */
const MAX_MEASUREMENT_MESSAGE = 160;

export interface StoredMeasurement {
  /** 1-based index among this metric's measurements (errors included). */
  readonly index: number;
  readonly phase: MeasurementPhase;
  /** Epoch ms. */
  readonly at: number;
  readonly value?: string;
  readonly message?: string;
}

export interface MetricState extends Counters {
  /** `<template>/<metric>`. */
  readonly key: string;
  /** Measurements taken, errors included (the index of the last one). */
  readonly taken: number;
  /** Epoch ms of the next measurement while the metric runs. */
  readonly nextAt: number;
  readonly phase: Outcome;
  /** The rule that decided a final phase. */
  readonly rule?: string;
  /** The last MAX_MEASUREMENTS measurements, oldest first. */
  readonly measurements: readonly StoredMeasurement[];
}

export interface GateState {
  readonly version: typeof GATE_STATE_VERSION;
  readonly metrics: readonly MetricState[];
}

/** Called once per measurement taken (metrics counter, Events); not for re-reads of persisted state. */
export type MeasurementObserver = (metric: PreparedMetric, measurement: StoredMeasurement) => void;

export interface AdvanceInput {
  readonly state: GateState | undefined;
  readonly metrics: readonly PreparedMetric[];
  /** When the gate began: the first measurement of a metric is due initialDelay after it. */
  readonly startedAt: number;
  readonly now: number;
  /** Step gates end after `count` measurements; background analysis does not. */
  readonly bounded: boolean;
  readonly provider: MetricProvider;
  readonly observe?: MeasurementObserver;
}

export interface AdvanceResult {
  readonly state: GateState;
  readonly outcome: Outcome;
  /** While Running: when the next measurement is due. */
  readonly nextAt: number | undefined;
  /** Measurements taken by this call. */
  readonly taken: number;
}

/** Takes every measurement that is due at `now` (in parallel) and decides the gate. */
export async function advanceGate(input: AdvanceInput): Promise<AdvanceResult> {
  const { metrics, now, bounded } = input;
  const previous = new Map((input.state?.metrics ?? []).map((m) => [m.key, m]));
  // The metrics of the template as it is now; state of a metric the template no longer has is dropped.
  let states = metrics.map((m) => previous.get(m.key) ?? initialState(m, input.startedAt));
  let taken = 0;
  if (gateOutcome(states.map((s) => s.phase)) === "Running") {
    const due = states.map((s) => s.phase === "Running" && s.nextAt <= now);
    states = await Promise.all(
      states.map(async (s, i) => {
        const prepared = metrics[i];
        if (!due[i] || prepared === undefined) return s;
        const verdict = evaluateMeasurement(
          prepared.metric,
          await input.provider.measure(prepared),
          prepared.variables,
        );
        const next = recordMeasurement(s, prepared, verdict, now, bounded);
        taken++;
        const last = next.measurements[next.measurements.length - 1];
        if (last !== undefined) input.observe?.(prepared, last);
        return next;
      }),
    );
  }
  const outcome = gateOutcome(states.map((s) => s.phase));
  const running = states.filter((s) => s.phase === "Running").map((s) => s.nextAt);
  const nextAt = outcome === "Running" && running.length > 0 ? Math.min(...running) : undefined;
  return { state: { version: GATE_STATE_VERSION, metrics: states }, outcome, nextAt, taken };
}

function initialState(metric: PreparedMetric, startedAt: number): MetricState {
  return {
    key: metric.key,
    ...NO_MEASUREMENTS,
    taken: 0,
    nextAt: startedAt + metric.metric.initialDelaySeconds * 1000,
    phase: "Running",
    measurements: [],
  };
}

/** Adds one measurement: counters, bounded history, the next due time and the metric's outcome. */
export function recordMeasurement(
  state: MetricState,
  prepared: PreparedMetric,
  verdict: MeasurementVerdict,
  now: number,
  bounded: boolean,
): MetricState {
  const index = state.taken + 1;
  const measurement: StoredMeasurement = {
    index,
    phase: verdict.phase,
    at: now,
    ...(verdict.value === undefined ? {} : { value: cut(verdict.value, 64) }),
    ...(verdict.message === undefined ? {} : { message: cut(verdict.message, MAX_MEASUREMENT_MESSAGE) }),
  };
  const counters = countMeasurement(state, verdict.phase);
  const decided = metricOutcome(counters, prepared.metric, bounded);
  const { rule: _rule, ...rest } = state;
  return {
    ...rest,
    ...counters,
    taken: index,
    nextAt: now + prepared.metric.intervalSeconds * 1000,
    phase: decided.phase,
    ...(decided.rule === undefined || decided.phase === "Running" ? {} : { rule: decided.rule }),
    measurements: [...state.measurements, measurement].slice(-MAX_MEASUREMENTS),
  };
}

/**
 * After a human approved an Inconclusive background analysis: its inconclusive metrics run on with
 * their inconclusive and error streaks cleared (the history and totals stay).
 */
export function acknowledgeInconclusive(state: GateState): GateState {
  return {
    ...state,
    metrics: state.metrics.map((m) => {
      if (m.phase !== "Inconclusive") return m;
      const { rule: _rule, ...rest } = m;
      return { ...rest, phase: "Running", inconclusive: 0, consecutiveErrors: 0 };
    }),
  };
}

/** The metric that decided a Failed or Inconclusive gate (worst first), for messages. */
export function decisiveMetric(state: GateState, outcome: Outcome): MetricState | undefined {
  return state.metrics.find((m) => m.phase === outcome);
}

/**
 * Shrinks the state to `maxBytes` of JSON by dropping the oldest measurements of the metric that keeps
 * most (never its last one), then measurement messages. The engine refuses step memory above its limit.
 */
export function compactGateState(state: GateState, maxBytes: number): GateState {
  let current = state;
  const size = (s: GateState): number => Buffer.byteLength(JSON.stringify(s));
  while (size(current) > maxBytes) {
    const longest = current.metrics.reduce<MetricState | undefined>(
      (best, m) => (best === undefined || m.measurements.length > best.measurements.length ? m : best),
      undefined,
    );
    if (longest === undefined || longest.measurements.length <= 1) break;
    current = {
      ...current,
      metrics: current.metrics.map((m) =>
        m === longest ? { ...m, measurements: m.measurements.slice(1) } : m,
      ),
    };
  }
  if (size(current) <= maxBytes) return current;
  return {
    ...current,
    metrics: current.metrics.map((m) => ({
      ...m,
      measurements: m.measurements.map(({ message: _message, ...rest }) => rest),
    })),
  };
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
