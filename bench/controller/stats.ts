// Percentiles and the process figures the benchmark reports (/proc, load average).
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

export interface Distribution {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length);
  return {
    samples: sorted.length,
    p50Ms: round1(percentile(sorted, 50)),
    p90Ms: round1(percentile(sorted, 90)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1) ?? Number.NaN),
    meanMs: round1(mean),
  };
}

export function formatDistribution(d: Distribution): string {
  return `n=${d.samples} p50 ${d.p50Ms} ms, p90 ${d.p90Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms`;
}

export interface Memory {
  /** Resident set now, and its high-water mark since the process started (MiB). */
  readonly rssMiB: number;
  readonly hwmMiB: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: round1(kib("VmRSS") / 1024), hwmMiB: round1(kib("VmHWM") / 1024) };
}

/** CPU time the process used so far (utime + stime; clock ticks are 1/100 s on Linux). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

export interface LoadSummary {
  readonly min1m: number;
  readonly mean1m: number;
  readonly max1m: number;
}

/** Samples the 1-minute load average every few seconds while a phase runs. */
export class LoadSampler {
  readonly #samples: number[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 5_000) {
    this.#samples.push(loadavg()[0] ?? 0);
    this.#timer = setInterval(() => this.#samples.push(loadavg()[0] ?? 0), intervalMs);
  }

  stop(): LoadSummary {
    clearInterval(this.#timer);
    this.#samples.push(loadavg()[0] ?? 0);
    const s = this.#samples;
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return {
      min1m: r2(Math.min(...s)),
      mean1m: r2(s.reduce((a, b) => a + b, 0) / s.length),
      max1m: r2(Math.max(...s)),
    };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
