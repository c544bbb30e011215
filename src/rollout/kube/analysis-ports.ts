// Analysis ports backed by the API server: AnalysisTemplates and ClusterAnalysisTemplates from informer
// caches (no GET per measurement), header Secrets read by GET when a measurement needs them (no cluster-wide
// Secret watch: few templates use them, and the values never stay in this process), the Prometheus provider
// and `slipway_analysis_measurements_total` on the controller's registry.
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import {
  AnalysisMetrics,
  prometheusProvider,
  type PrometheusTls,
  type SecretSource,
} from "../../analysis/index.ts";
import type { KubeClient } from "../../kube/client.ts";
import { isNotFound } from "../../kube/errors.ts";
import { Informer } from "../../kube/informer.ts";
import type { KubeMetrics } from "../../kube/metrics.ts";
import {
  ANALYSIS_TEMPLATES,
  CLUSTER_ANALYSIS_TEMPLATES,
  collectionPath,
  objectPath,
  type KubeObject,
  type ResourceRef,
} from "../../kube/resources.ts";
import type { AnalysisPorts } from "../steps/analysis.ts";

const SECRETS: ResourceRef = { group: "", version: "v1", plural: "secrets", namespaced: true };

export interface KubeAnalysisOptions {
  readonly client: KubeClient;
  readonly namespace?: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly kubeMetrics: KubeMetrics;
  /** Slipway's namespace: Secrets of ClusterAnalysisTemplates live there. */
  readonly slipwayNamespace: string;
  readonly tls?: PrometheusTls;
}

export class KubeAnalysis {
  readonly ports: AnalysisPorts;
  readonly informers: readonly Informer<KubeObject>[];

  constructor(o: KubeAnalysisOptions) {
    const informer = (resource: ResourceRef, name: string, namespace?: string) =>
      new Informer<KubeObject>({
        transport: o.client,
        path: collectionPath(resource, namespace),
        logger: o.logger.child({ informer: name }),
        metrics: o.kubeMetrics.informer(name),
      });
    const templates = informer(ANALYSIS_TEMPLATES, "analysistemplates", o.namespace);
    const clusterTemplates = informer(CLUSTER_ANALYSIS_TEMPLATES, "clusteranalysistemplates");
    this.informers = [templates, clusterTemplates];
    const secrets: SecretSource = {
      secretValue: async (namespace, name, key) => {
        try {
          const secret = await o.client.request<{ data?: Record<string, string> }>({
            method: "GET",
            path: objectPath(SECRETS, name, namespace),
          });
          const encoded = secret.data?.[key];
          return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    };
    this.ports = {
      templates: {
        analysisTemplate: (namespace, name) => templates.store.getByName(namespace, name),
        clusterAnalysisTemplate: (name) => clusterTemplates.store.getByName("", name),
      },
      provider: prometheusProvider({ secrets, ...(o.tls === undefined ? {} : { tls: o.tls }) }),
      metrics: new AnalysisMetrics(o.registry),
      clusterSecretNamespace: o.slipwayNamespace,
    };
  }
}
