// kwok Stage objects: how fake nodes and pods move through their lifecycle. kwok v0.8.0 ships no
// default stages, so the cluster passes these (rendered to YAML) with --config.
//
// Pod behaviour is chosen by the pod label `slipway.dev/test-behavior` (LABEL_TEST_BEHAVIOR):
//   (absent)     Pending -> Running + Ready after podReadyDelayMs (per pod: annotation slipway.dev/test-ready-delay, e.g. "5s")
//   never-ready  Pending -> Running, Ready=False forever
//   crash        Pending -> Running, Ready=False; every crashIntervalMs the containers "restart" (restartCount+1)
// Pods owned by a Job complete (Succeeded) shortly after running. Pods with a deletionTimestamp are removed
// (as a kubelet would confirm termination); finalizers set by others are still honoured by the API server.
// Templates are Go text/template with kwok's functions (Now, Quote, NodeIPWith, PodIPWith, sprig).
import { stringify } from "yaml";
import { LABEL_TEST_BEHAVIOR } from "../../src/api/names.ts";

export const BEHAVIOR_NEVER_READY = "never-ready";
export const BEHAVIOR_CRASH = "crash";
export const ANNOTATION_READY_DELAY = "slipway.dev/test-ready-delay";

interface StageOptions {
  readonly podReadyDelayMs: number;
  readonly crashIntervalMs: number;
}

type Expr = { readonly key: string; readonly operator: string; readonly values?: readonly string[] };

const notDeleting: Expr = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
const phase = (p: string): Expr => ({ key: ".status.phase", operator: "In", values: [p] });
const behavior = (operator: "In" | "NotIn", values: readonly string[]): Expr => ({
  key: `.metadata.labels["${LABEL_TEST_BEHAVIOR}"]`,
  operator,
  values,
});

function stage(name: string, kind: "Pod" | "Node", spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name },
    spec: { resourceRef: { apiGroup: "v1", kind }, ...spec },
  };
}

const nodeConditions = `{{ $now := Now }}
conditions:
{{ range NodeConditions }}
- lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
  message: {{ .message | Quote }}
  reason: {{ .reason | Quote }}
  status: {{ .status | Quote }}
  type: {{ .type | Quote }}
{{ end }}`;

// Keeps the allocatable/capacity the Node was registered with (see bootstrap.ts). No InternalIP on
// purpose: with only a Hostname address, nothing (e.g. `kubectl logs` via the API server) can dial a
// node at a private address; such requests fail on DNS instead.
const nodeInitialize = `${nodeConditions}
addresses:
- {type: Hostname, address: {{ .metadata.name | Quote }}}
nodeInfo:
  architecture: amd64
  operatingSystem: linux
  kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
  containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
  kernelVersion: {{ printf "kwok-%s" Version | Quote }}
  kubeProxyVersion: {{ printf "kwok-%s" Version | Quote }}
  osImage: kwok
  machineID: ""
  bootID: ""
  systemUUID: ""
phase: Running`;

// Only on the first transition: PodIPWith allocates a new address on every call, and a second podIPs
// entry of the same family is rejected by the API server.
const podPlacement = `{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs: [{ip: {{ . | Quote }}}]
{{ end }}
{{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
podIP: {{ . | Quote }}
podIPs: [{ip: {{ . | Quote }}}]
{{ end }}
phase: Running
startTime: {{ $now | Quote }}`;

/** Pod status with every container running; `crashRestart` counts one more restart per container. */
function podRunningStatus(ready: boolean, crashRestart: boolean): string {
  const r = ready ? `"True"` : `"False"`;
  const restarts = crashRestart
    ? `{{ $restarts := 0 }}{{ range ( or $.status.containerStatuses list ) }}{{ if eq .name $c.name }}{{ $restarts = .restartCount }}{{ end }}{{ end }}
  restartCount: {{ add $restarts 1 }}
  lastState: {terminated: {exitCode: 1, reason: Error, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}`
    : `  restartCount: 0`;
  return `{{ $now := Now }}
conditions:
- {type: Initialized, status: "True", lastTransitionTime: {{ $now | Quote }}}
- {type: Ready, status: ${r}, lastTransitionTime: {{ $now | Quote }}${ready ? "" : ", reason: ContainersNotReady"}}
- {type: ContainersReady, status: ${r}, lastTransitionTime: {{ $now | Quote }}${ready ? "" : ", reason: ContainersNotReady"}}
containerStatuses:
{{ range $c := .spec.containers }}
- name: {{ $c.name | Quote }}
  image: {{ $c.image | Quote }}
  imageID: ""
  ready: ${ready}
  started: true
${restarts}
  state: {running: {startedAt: {{ $now | Quote }}}}
{{ end }}
{{ with .spec.initContainers }}
initContainerStatuses:
{{ range . }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: true
  restartCount: 0
  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}
{{ end }}
{{ end }}
${crashRestart ? "" : podPlacement}`;
}

const podSucceeded = `{{ $now := Now }}
conditions:
- {type: Ready, status: "False", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}
- {type: ContainersReady, status: "False", reason: PodCompleted, lastTransitionTime: {{ $now | Quote }}}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  restartCount: 0
  state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}
{{ end }}
phase: Succeeded`;

export function kwokStages(opts: StageOptions): readonly Record<string, unknown>[] {
  const special = [BEHAVIOR_NEVER_READY, BEHAVIOR_CRASH];
  const readyDelay = {
    durationMilliseconds: opts.podReadyDelayMs,
    durationFrom: { expressionFrom: `.metadata.annotations["${ANNOTATION_READY_DELAY}"]` },
  };
  return [
    stage("slipway-node-initialize", "Node", {
      selector: {
        matchExpressions: [
          {
            key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
            operator: "NotIn",
            values: ["True"],
          },
        ],
      },
      next: { statusTemplate: nodeInitialize },
    }),
    // Liveness comes from the node Lease kwok renews; this also refreshes the conditions' heartbeat.
    stage("slipway-node-heartbeat", "Node", {
      selector: {
        matchExpressions: [
          {
            key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
            operator: "In",
            values: ["True"],
          },
        ],
      },
      delay: { durationMilliseconds: 20_000, jitterDurationMilliseconds: 25_000 },
      next: { statusTemplate: nodeConditions },
    }),
    stage("slipway-pod-ready", "Pod", {
      selector: { matchExpressions: [notDeleting, phase("Pending"), behavior("NotIn", special)] },
      delay: readyDelay,
      next: { statusTemplate: podRunningStatus(true, false) },
    }),
    stage("slipway-pod-never-ready", "Pod", {
      selector: { matchExpressions: [notDeleting, phase("Pending"), behavior("In", [BEHAVIOR_NEVER_READY])] },
      delay: readyDelay,
      next: { statusTemplate: podRunningStatus(false, false) },
    }),
    stage("slipway-pod-crash-start", "Pod", {
      selector: { matchExpressions: [notDeleting, phase("Pending"), behavior("In", [BEHAVIOR_CRASH])] },
      delay: readyDelay,
      next: { statusTemplate: podRunningStatus(false, false) },
    }),
    // Matches again after every patch (restartCount changed), so the pod keeps restarting.
    stage("slipway-pod-crash-restart", "Pod", {
      selector: { matchExpressions: [notDeleting, phase("Running"), behavior("In", [BEHAVIOR_CRASH])] },
      delay: { durationMilliseconds: opts.crashIntervalMs },
      next: { statusTemplate: podRunningStatus(false, true) },
    }),
    stage("slipway-pod-job-complete", "Pod", {
      selector: {
        matchExpressions: [
          notDeleting,
          phase("Running"),
          behavior("NotIn", special),
          { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] },
        ],
      },
      delay: { durationMilliseconds: opts.podReadyDelayMs },
      next: { statusTemplate: podSucceeded },
    }),
    stage("slipway-pod-delete", "Pod", {
      selector: { matchExpressions: [{ key: ".metadata.deletionTimestamp", operator: "Exists" }] },
      next: { delete: true },
    }),
  ];
}

export function renderKwokStages(opts: StageOptions): string {
  return kwokStages(opts)
    .map((s) => stringify(s, { lineWidth: 0 }))
    .join("---\n");
}
