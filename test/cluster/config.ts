// Where the local control plane keeps its state and which loopback ports it listens on.
// Everything is overridable by environment variables so two checkouts can run side by side.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Users with static bearer tokens (tokens.csv); none of them is an admin. Tests act as them. */
export const TEST_USERS = ["alice", "bob"] as const;
export type TestUser = (typeof TEST_USERS)[number];

/** Names of the processes the cluster runs, in start order. */
export const COMPONENTS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
] as const;
export type Component = (typeof COMPONENTS)[number];

/** Processes started only on request (`cluster:up --with-kruise`, `ensureKruise()`); `down` stops them too. */
export const ADDONS = ["kruise-manager"] as const;
export type Addon = (typeof ADDONS)[number];
type Process = Component | Addon;

export interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
}

/** OpenKruise's kruise-manager (an addon): its webhook server and its health and metrics endpoints. */
export interface KruisePorts {
  readonly webhook: number;
  readonly health: number;
  readonly metrics: number;
}

export interface ClusterConfig {
  readonly stateDir: string;
  readonly ports: Ports;
  readonly kruisePorts: KruisePorts;
  /** Delay before a default pod turns Running+Ready (kwok stage), in milliseconds. */
  readonly podReadyDelayMs: number;
  /** Interval between two restarts of a `crash` pod, in milliseconds. */
  readonly crashIntervalMs: number;
  /**
   * An audit policy file: when set, the API server writes its audit log (JSON lines) to logs/audit.log.
   * Off by default (it costs disk and API server time); the controller benchmark turns it on.
   */
  readonly auditPolicy: string | undefined;
  readonly nodeCount: number;
  /** Fake, never routed: only written into Service and Pod objects. */
  readonly serviceCidr: string;
  readonly podCidr: string;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(
      `environment variable ${name}=${JSON.stringify(raw)} is not a non-negative integer; unset it or fix it`,
    );
  }
  return value;
}

export function loadConfig(): ClusterConfig {
  return {
    stateDir: process.env["SLIPWAY_CLUSTER_DIR"] || "/tmp/slipway-cluster",
    ports: {
      etcdClient: intFromEnv("SLIPWAY_ETCD_PORT", 23790),
      etcdPeer: intFromEnv("SLIPWAY_ETCD_PEER_PORT", 23800),
      apiserver: intFromEnv("SLIPWAY_APISERVER_PORT", 26443),
      controllerManager: intFromEnv("SLIPWAY_KCM_PORT", 20257),
      scheduler: intFromEnv("SLIPWAY_SCHEDULER_PORT", 20259),
    },
    kruisePorts: {
      webhook: intFromEnv("SLIPWAY_KRUISE_WEBHOOK_PORT", 29876),
      health: intFromEnv("SLIPWAY_KRUISE_HEALTH_PORT", 20280),
      metrics: intFromEnv("SLIPWAY_KRUISE_METRICS_PORT", 20281),
    },
    podReadyDelayMs: intFromEnv("SLIPWAY_POD_READY_DELAY_MS", 1000),
    crashIntervalMs: intFromEnv("SLIPWAY_CRASH_INTERVAL_MS", 2000),
    auditPolicy: process.env["SLIPWAY_AUDIT_POLICY"] || undefined,
    nodeCount: 3,
    serviceCidr: "10.96.0.0/16",
    podCidr: "10.244.0.0/16",
  };
}

/** Every file the cluster writes, derived from the state directory. */
export function clusterPaths(stateDir: string) {
  const pki = join(stateDir, "pki");
  return {
    stateDir,
    pki,
    logs: join(stateDir, "logs"),
    pids: join(stateDir, "pids"),
    etcdData: join(stateDir, "etcd"),
    kwokHome: join(stateDir, "kwok"),
    kwokStages: join(stateDir, "kwok", "stages.yaml"),
    certDir: (component: Process) => join(stateDir, "certs", component),
    kubeconfig: (user: string) => join(stateDir, `${user}.kubeconfig`),
    tokens: join(pki, "tokens.csv"),
    caCert: join(pki, "ca.crt"),
    caKey: join(pki, "ca.key"),
    saKey: join(pki, "sa.key"),
    saPub: join(pki, "sa.pub"),
    pem: (name: string) => ({ cert: join(pki, `${name}.crt`), key: join(pki, `${name}.key`) }),
    /** Written last by `up`: a running cluster's description (see ClusterInfo). */
    info: join(stateDir, "cluster.json"),
    logFile: (component: Process) => join(stateDir, "logs", `${component}.log`),
    auditLog: join(stateDir, "logs", "audit.log"),
    pidFile: (component: Process) => join(stateDir, "pids", `${component}.json`),
  };
}
export type ClusterPaths = ReturnType<typeof clusterPaths>;

/** What `up` records in cluster.json; read by the e2e harness and by `status`. */
export interface ClusterInfo {
  readonly server: string;
  readonly kubernetesVersion: string;
  readonly binDir: string;
  readonly stateDir: string;
  readonly adminKubeconfig: string;
  readonly userKubeconfigs: Readonly<Record<TestUser, string>>;
  readonly ports: Ports;
  readonly logs: Readonly<Record<Component, string>>;
  /** The API server's audit log, when the cluster was started with SLIPWAY_AUDIT_POLICY. */
  readonly auditLog?: string;
  readonly startedAt: string;
}

/** The k8s.io/kubernetes version the wrapper module pins (what /version must report), e.g. "v1.36.3". */
export function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(new URL("./go.mod", import.meta.url), "utf8");
  const version = /^\s*k8s\.io\/kubernetes (v1\.\d+\.\d+)\b/m.exec(goMod)?.[1];
  if (version === undefined) throw new Error("test/cluster/go.mod does not require k8s.io/kubernetes v1.x.y");
  return version;
}
