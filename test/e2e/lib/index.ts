// The e2e helper library. See test/README.md for usage.
export { currentCluster } from "./context.ts";
export type { ProvidedCluster } from "./context.ts";
export { clients, kubeConfig, mergePatch, strategicMergePatch, jsonPatch, statusCode } from "./clients.ts";
export type { Clients, Identity } from "./clients.ts";
export { createNamespace, deleteNamespace, withNamespace, E2E_NAMESPACE_LABEL } from "./namespace.ts";
export type { NamespaceOptions } from "./namespace.ts";
export { applyYaml, parseYaml, E2E_FIELD_MANAGER } from "./apply.ts";
export type { ApplyOptions } from "./apply.ts";
export {
  podsByRevision,
  groupByRevision,
  formatRevisions,
  isPodReady,
  podRevision,
  summarizePod,
} from "./pods.ts";
export type { PodSummary, RevisionGroup } from "./pods.ts";
export { describeNamespace } from "./describe.ts";
export { waitFor, done, notYet, WaitTimeoutError } from "../../cluster/wait.ts";
export type { Probe, WaitOptions } from "../../cluster/wait.ts";
export { selfSignedServingCert } from "../../cluster/pki.ts";
export { BEHAVIOR_CRASH, BEHAVIOR_NEVER_READY, ANNOTATION_READY_DELAY } from "../../cluster/kwok-stages.ts";
export { cloneSet, ensureKruise, KRUISE_API_VERSION } from "./kruise.ts";
export type { CloneSetOptions } from "./kruise.ts";
