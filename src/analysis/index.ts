// Metric gates (SPEC §2.2): template resolution, PromQL-safe substitution, the Prometheus provider,
// CEL conditions, outcome rules, the `analysis` workflow step type and background analysis.
// See docs/analysis.md.
export { substituteQuery, escapePromQLString, argumentsUsed, type QueryVariables } from "./substitute.ts";
export {
  resolveTemplates,
  mergeArgs,
  type TemplateSource,
  type TemplateRef,
  type ArgValue,
  type AnalysisScope,
  type PreparedMetric,
  type Resolution,
} from "./templates.ts";
export { queryPrometheus, type PrometheusRequest, type PrometheusTls } from "./prometheus.ts";
export { parsePrometheusResponse, type QueryResult, type ParsedResponse } from "./prometheus-response.ts";
export {
  prometheusProvider,
  type MetricProvider,
  type SecretSource,
  type PrometheusProviderOptions,
} from "./provider.ts";
export { evaluateMeasurement, compileCondition, type MeasurementVerdict } from "./evaluate.ts";
export {
  metricOutcome,
  gateOutcome,
  countMeasurement,
  type Counters,
  type Limits,
  type Outcome,
} from "./outcome.ts";
export { advanceGate, type GateState, type MetricState, type StoredMeasurement } from "./gate.ts";
export { metricStatuses, verdictMessage } from "./summary.ts";
export {
  analysisStepType,
  gateStateOfStep,
  isInconclusiveGate,
  readGateState,
  ANALYSIS_STEP_TYPE,
  ANALYSIS_INCONCLUSIVE,
  type AnalysisStepDeps,
  type GateReport,
} from "./step.ts";
export {
  advanceBackground,
  type BackgroundInput,
  type BackgroundResult,
  type BackgroundState,
} from "./background.ts";
export {
  AnalysisMetrics,
  NOOP_ANALYSIS_METRICS,
  MEASUREMENTS_METRIC,
  type AnalysisMetricsSink,
} from "./metrics.ts";
