// Helpers for the "operate it" e2e tests: scraping a real controller's /metrics and /readyz, and a kubeconfig
// that impersonates someone else (a user with chosen RBAC, or the chart's ServiceAccount).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { currentCluster, done, notYet, waitFor } from "../lib/index.ts";
import type { SlipwayProcess } from "../rollout/controller-process.ts";

/** http://127.0.0.1:PORT of a `slipway controller` child process (from its "metrics serving" log line). */
export function metricsUrl(proc: SlipwayProcess): string {
  const line = proc.lines().find((l) => l.msg === "metrics serving");
  if (typeof line?.["port"] !== "number") throw new Error(`${proc.name} has not logged its metrics port`);
  return `http://127.0.0.1:${line["port"]}`;
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One scrape of /metrics, parsed from the Prometheus text format. */
export class Scrape {
  readonly samples: readonly Sample[];
  readonly text: string;

  constructor(text: string) {
    this.text = text;
    this.samples = text
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map(parseSample);
  }

  /** The series of `name` whose labels include `labels`. */
  series(name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** The sum over those series (0 when there are none yet). */
  sum(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.series(name, labels).reduce((total, s) => total + s.value, 0);
  }

  has(name: string): boolean {
    return this.text.includes(`# TYPE ${name} `);
  }
}

function parseSample(line: string): Sample {
  const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
  if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
  const labels: Record<string, string> = {};
  for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    labels[key ?? ""] = (value ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  return { name: match[1] ?? "", labels, value: Number(match[3]) };
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: ${res.status}`);
  return new Scrape(await res.text());
}

export interface Health {
  readonly status: number;
  readonly body: string;
}

/** GET /readyz?verbose (or /healthz): the status code and one line per check. */
export async function health(url: string, endpoint: "readyz" | "healthz" = "readyz"): Promise<Health> {
  const res = await fetch(`${url}/${endpoint}?verbose`);
  return { status: res.status, body: await res.text() };
}

/** Waits until /readyz?verbose answers `status` with a body matching `pattern`. */
export function waitForReadyz(url: string, status: number, pattern: RegExp): Promise<Health> {
  return waitFor(`${url}/readyz to answer ${status} matching ${pattern}`, async () => {
    const h = await health(url);
    return h.status === status && pattern.test(h.body) ? done(h) : notYet(h);
  });
}

/**
 * A kubeconfig file that talks to the test cluster as the admin impersonating `user` (a plain user, or
 * `system:serviceaccount:NS:NAME`, which the API server also gives the ServiceAccount groups).
 */
export function impersonatingKubeconfig(user: string): string {
  const admin = new KubeConfig();
  admin.loadFromFile(currentCluster().kubeconfig);
  const current = admin.getCurrentUser();
  const context = admin.getContextObject(admin.getCurrentContext());
  if (current === null || context === null) throw new Error("the admin kubeconfig has no current user");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: admin.getClusters(),
    users: [{ ...current, name: "impersonated", impersonateUser: user }],
    contexts: [{ ...context, name: "impersonated", user: "impersonated" }],
    currentContext: "impersonated",
  });
  const file = join(mkdtempSync(join(tmpdir(), "slipway-impersonate-")), "kubeconfig");
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}
