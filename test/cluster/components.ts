// Command lines of the control-plane components. Every listener is bound to 127.0.0.1.
import { join } from "node:path";
import type { Addon, ClusterConfig, ClusterPaths, Component } from "./config.ts";

export interface ComponentCommand {
  readonly binary: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

const loopback = "127.0.0.1";

export function componentCommand(
  component: Component,
  binDir: string,
  cfg: ClusterConfig,
  paths: ClusterPaths,
): ComponentCommand {
  const p = cfg.ports;
  const bin = join(binDir, component);
  switch (component) {
    case "etcd": {
      const client = `http://${loopback}:${p.etcdClient}`;
      const peer = `http://${loopback}:${p.etcdPeer}`;
      return {
        binary: bin,
        args: [
          "--name=slipway",
          `--data-dir=${paths.etcdData}`,
          `--listen-client-urls=${client}`,
          `--advertise-client-urls=${client}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=slipway=${peer}`,
          // Test data is disposable; fsync makes the API server slow on shared disks.
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
      };
    }
    case "kube-apiserver": {
      const serving = paths.pem("apiserver");
      return {
        binary: bin,
        args: [
          `--etcd-servers=http://${loopback}:${p.etcdClient}`,
          `--bind-address=${loopback}`,
          `--secure-port=${p.apiserver}`,
          // Loopback is not a valid Endpoints address, so the `kubernetes` Service gets no endpoints.
          // Nothing may dial it anyway.
          `--advertise-address=${loopback}`,
          "--endpoint-reconciler-type=none",
          `--cert-dir=${paths.certDir("kube-apiserver")}`,
          `--tls-cert-file=${serving.cert}`,
          `--tls-private-key-file=${serving.key}`,
          `--client-ca-file=${paths.caCert}`,
          `--token-auth-file=${paths.tokens}`,
          "--authorization-mode=Node,RBAC",
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          `--service-account-key-file=${paths.saPub}`,
          `--service-account-signing-key-file=${paths.saKey}`,
          `--service-cluster-ip-range=${cfg.serviceCidr}`,
          "--allow-privileged=true",
          "--profiling=false",
          "--enable-aggregator-routing=false",
          ...(cfg.auditPolicy === undefined
            ? []
            : [
                `--audit-policy-file=${cfg.auditPolicy}`,
                `--audit-log-path=${paths.auditLog}`,
                "--audit-log-format=json",
                // One line per request as it completes, so a reader sees it at once.
                "--audit-log-mode=blocking",
              ]),
        ],
      };
    }
    case "kube-controller-manager": {
      return {
        binary: bin,
        args: [
          // No --authentication/authorization-kubeconfig: only the always-allowed /healthz is served to
          // us, and delegated auth would need a front-proxy CA the API server does not have.
          `--kubeconfig=${paths.kubeconfig("kube-controller-manager")}`,
          `--bind-address=${loopback}`,
          `--secure-port=${p.controllerManager}`,
          `--cert-dir=${paths.certDir("kube-controller-manager")}`,
          "--leader-elect=false",
          "--use-service-account-credentials=true",
          `--service-account-private-key-file=${paths.saKey}`,
          `--root-ca-file=${paths.caCert}`,
          `--cluster-signing-cert-file=${paths.caCert}`,
          `--cluster-signing-key-file=${paths.caKey}`,
          "--node-monitor-period=5s",
          // Hundreds of pods per test run: the default 20 QPS makes ReplicaSet scaling visibly slow.
          "--kube-api-qps=200",
          "--kube-api-burst=400",
          "--concurrent-deployment-syncs=10",
          "--concurrent-replicaset-syncs=10",
          "--concurrent-statefulset-syncs=10",
        ],
      };
    }
    case "kube-scheduler": {
      return {
        binary: bin,
        args: [
          `--kubeconfig=${paths.kubeconfig("kube-scheduler")}`,
          `--bind-address=${loopback}`,
          `--secure-port=${p.scheduler}`,
          "--leader-elect=false",
        ],
      };
    }
    case "kwok":
      return {
        binary: bin,
        args: [
          `--kubeconfig=${paths.kubeconfig("kwok")}`,
          "--manage-all-nodes=true",
          `--cidr=${cfg.podCidr}`,
          "--node-lease-duration-seconds=40",
          `--config=${paths.kwokStages}`,
          // INFO logs every lease renewal; failed stage applications are logged at ERROR.
          "--v=WARN",
        ],
        // kwok reads ~/.kwok/kwok.yaml first if present; a private HOME keeps a developer's file out.
        env: { HOME: paths.kwokHome },
      };
    default: {
      const never: never = component;
      throw new Error(`unknown component ${String(never)}`);
    }
  }
}

/** The URL whose 200 means the component is healthy (kwok has no server: liveness of its pid only). */
export function healthUrl(component: Component, cfg: ClusterConfig): string | undefined {
  const p = cfg.ports;
  switch (component) {
    case "etcd":
      return `http://${loopback}:${p.etcdClient}/health`;
    case "kube-apiserver":
      return `https://${loopback}:${p.apiserver}/readyz`;
    case "kube-controller-manager":
      return `https://${loopback}:${p.controllerManager}/healthz`;
    case "kube-scheduler":
      return `https://${loopback}:${p.scheduler}/healthz`;
    case "kwok":
      return undefined;
    default: {
      const never: never = component;
      throw new Error(`unknown component ${String(never)}`);
    }
  }
}

/** An addon's readiness URL (plain HTTP on loopback); kruise-manager's includes its webhook server. */
export function addonHealthUrl(addon: Addon, cfg: ClusterConfig): string {
  switch (addon) {
    case "kruise-manager":
      return `http://${loopback}:${cfg.kruisePorts.health}/readyz`;
    default: {
      const never: never = addon;
      throw new Error(`unknown addon ${String(never)}`);
    }
  }
}
