// `analysis`: a step's metric gate (SPEC §2.2), the step type of src/analysis bound to this reconcile: the
// release's revisions and the Rollout's name feed the built-in variables; a promotion skips the gate.
import {
  analysisStepType,
  type AnalysisMetricsSink,
  type GateReport,
  type MetricProvider,
  type TemplateSource,
} from "../../analysis/index.ts";
import { failed, succeeded, type StepType } from "../../workflow/index.ts";
import { promotionOf } from "../record.ts";
import { stepIndexOf, type StepTypeFactory } from "./env.ts";

/** What the controller measures with (backed by informers and the Prometheus provider in controller.ts). */
export interface AnalysisPorts {
  readonly templates: TemplateSource;
  readonly provider: MetricProvider;
  readonly metrics?: AnalysisMetricsSink;
  /** Slipway's own namespace: where ClusterAnalysisTemplates read header Secrets. */
  readonly clusterSecretNamespace: string;
}

/** The analysis side of a step environment: the ports, whose Rollout this is, and where reports go. */
export interface AnalysisEnv {
  readonly ports: AnalysisPorts;
  readonly rollout: { readonly name: string; readonly namespace: string };
  readonly report: (report: GateReport) => void;
}

export const analysisStep: StepTypeFactory = (env) => {
  const analysis = env.analysis;
  if (analysis === undefined) {
    return {
      run: () =>
        failed("this controller was started without an analysis provider: analysis gates cannot run"),
    };
  }
  const gate: StepType = analysisStepType({
    templates: analysis.ports.templates,
    provider: analysis.ports.provider,
    ...(analysis.ports.metrics === undefined ? {} : { metrics: analysis.ports.metrics }),
    scope: {
      rollout: analysis.rollout,
      canaryRevision: env.record.canaryRevision,
      stableRevision: env.record.stableRevision,
      clusterSecretNamespace: analysis.ports.clusterSecretNamespace,
    },
    onReport: analysis.report,
  });
  return {
    ...(gate.validate === undefined ? {} : { validate: gate.validate }),
    run: (ctx) => {
      const promotion = promotionOf(env.record);
      if (promotion?.full === true || (promotion?.throughStep ?? 0) >= stepIndexOf(ctx.properties)) {
        return succeeded({ promoted: true });
      }
      return gate.run(ctx);
    },
  };
};
