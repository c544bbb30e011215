// The metric-gate lab shared by the controller-level analysis e2e files: a real Prometheus on loopback
// scraping an exporter whose per-revision error rate the test controls, the controller as a child process,
// an `error-rate` AnalysisTemplate, and "attach a Deployment and start a release".
import type { KubernetesObject } from "@kubernetes/client-node";
import { API_VERSION, KIND_ANALYSIS_TEMPLATE } from "../../../src/api/names.ts";
import type { MetricStatus } from "../../../src/api/rollout-status.ts";
import { applyYaml } from "../lib/index.ts";
import { startExporter, type TestExporter, type Traffic } from "../lib/exporter.ts";
import { startPrometheus, type PrometheusServer } from "../lib/prometheus.ts";
import { startController, tail, type SlipwayProcess } from "./controller-process.ts";
import {
  deleteWebhookConfigurations,
  installCrds,
  patchRollout,
  setTemplate,
  waitForRollout,
} from "./fixtures.ts";
import type { ReleaseMonitor } from "./release-monitor.ts";
import { attach, NAME, PARTITION_DEPLOYMENT } from "./scenario.ts";

/** Per-revision error ratio over 30 s (long enough to ride out the first seconds of a new series). */
export const ERROR_RATE =
  'sum(rate(http_requests_total{service="{{args.service}}",pod_template_hash="{{canary.revision}}",status=~"5.."}[30s]))' +
  ' / sum(rate(http_requests_total{service="{{args.service}}",pod_template_hash="{{canary.revision}}"}[30s]))';
export const GOOD: Traffic = { rps: 50, errorRate: 0.01 };
export const BAD: Traffic = { rps: 50, errorRate: 0.4 };

export interface AnalysisLab {
  readonly exporter: TestExporter;
  readonly prometheus: PrometheusServer;
  /** Replaced by a test that kills and restarts it. */
  controller: SlipwayProcess;
  close(): Promise<void>;
}

/** CRDs, exporter, Prometheus (optionally logging every query it runs) and one controller for the file. */
export async function startLab(name: string, o: { queryLog?: boolean } = {}): Promise<AnalysisLab> {
  await installCrds();
  const exporter = await startExporter();
  const prometheus = await startPrometheus({ targets: [exporter.target], queryLog: o.queryLog === true });
  const lab: AnalysisLab = {
    exporter,
    prometheus,
    controller: await startController(name),
    async close() {
      await lab.controller.kill("SIGTERM");
      await deleteWebhookConfigurations();
      await prometheus.close();
      await exporter.close();
    },
  };
  return lab;
}

/**
 * An AnalysisTemplate `name` in `ns` with one metric `name` querying the lab's Prometheus for the arg
 * `service`: measured 3 times at 1 s after 6 s (time for the test to learn the canary's revision and for
 * Prometheus to scrape its first samples), unless `metric` says otherwise.
 */
export function metricTemplate(
  lab: AnalysisLab,
  ns: string,
  name: string,
  query: string,
  metric: Record<string, unknown>,
): KubernetesObject {
  return {
    apiVersion: API_VERSION,
    kind: KIND_ANALYSIS_TEMPLATE,
    metadata: { name, namespace: ns },
    spec: {
      args: [{ name: "service" }],
      metrics: [
        {
          name,
          provider: { prometheus: { address: lab.prometheus.url, query, timeout: "5s" } },
          initialDelay: "6s",
          interval: "1s",
          count: 3,
          ...metric,
        },
      ],
    },
  } as KubernetesObject;
}

/** An AnalysisTemplate `error-rate` in `ns` measuring the canary's error ratio for `service`. */
export function errorRateTemplate(
  lab: AnalysisLab,
  ns: string,
  metric: Record<string, unknown> = {},
): KubernetesObject {
  return metricTemplate(lab, ns, "error-rate", ERROR_RATE, {
    successCondition: "result[0] <= 0.05",
    ...metric,
  });
}

/** A step gate (or background analysis) on a template (default `error-rate`), for the service `service`. */
export const gate = (service: string, template = "error-rate") => ({
  templates: [{ name: template }],
  args: [{ name: "service", value: service }],
});

export interface Release {
  readonly monitor: ReleaseMonitor;
  readonly canary: string;
}

export interface ReleaseOptions {
  /** Overrides of the `error-rate` metric. */
  readonly metric?: Record<string, unknown>;
  /** Used instead of the `error-rate` template. */
  readonly template?: KubernetesObject;
  /** The canary's traffic; null: the canary's series never appears (only another revision's does). */
  readonly traffic?: Traffic | null;
  /** The exporter's `service` label for the canary's series (default: the namespace). */
  readonly service?: string;
  readonly background?: Record<string, unknown>;
  /** Objects the Rollout needs besides the workload (a Service, an Ingress). */
  readonly objects?: readonly KubernetesObject[];
  readonly trafficRouting?: Record<string, unknown>;
}

/** Template, workload and Rollout; then a new image: returns the canary revision once the release started. */
export async function startRelease(
  lab: AnalysisLab,
  ns: string,
  steps: readonly unknown[],
  o: ReleaseOptions = {},
): Promise<Release> {
  await applyYaml([o.template ?? errorRateTemplate(lab, ns, o.metric), ...(o.objects ?? [])]);
  const { monitor } = await attach(ns, PARTITION_DEPLOYMENT, {
    steps,
    ...(o.trafficRouting === undefined ? {} : { trafficRouting: o.trafficRouting }),
  });
  if (o.background !== undefined) {
    await patchRollout(ns, NAME, { spec: { strategy: { canary: { analysis: o.background } } } });
  }
  await setTemplate(ns, "Deployment", NAME, "example/web:v2");
  const started = await waitForRollout(
    ns,
    NAME,
    "a release in progress",
    (s) => s.canaryRevision !== undefined && s.phase !== "Healthy",
  );
  const canary = started.status?.canaryRevision ?? "";
  const service = o.service ?? ns;
  if (o.traffic === null) lab.exporter.setTraffic(service, `not-${canary}`, GOOD);
  else lab.exporter.setTraffic(service, canary, o.traffic ?? GOOD);
  return { monitor, canary };
}

/** Runs `body`; a failure carries the controller's log tail and the namespace. */
export async function scenario(lab: AnalysisLab, ns: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${tail(lab.controller)}\nnamespace ${ns}`, { cause: err });
  }
}

/** The first metric of step `step` (1-based). */
export const metricOfStep = (
  s: { steps?: readonly { analysis?: readonly MetricStatus[] }[] },
  step = 1,
): MetricStatus | undefined => s.steps?.[step - 1]?.analysis?.[0];

export { NAME, PARTITION_DEPLOYMENT };
