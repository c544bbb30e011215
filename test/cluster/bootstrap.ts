// After the processes run: register the fake Nodes and wait until the cluster can run pods.
import type { ClusterConfig } from "./config.ts";
import { httpsRequest } from "./http.ts";
import type { TlsIdentity } from "./http.ts";
import { done, notYet, waitFor } from "./wait.ts";

const ZONES = ["zone-a", "zone-b", "zone-c"];
/** Per node; three nodes hold 1500 pods, enough for scale tests with hundreds of replicas. */
const NODE_RESOURCES = { cpu: "64", memory: "256Gi", pods: "500" };

export const nodeName = (i: number): string => `kwok-node-${i}`;

function nodeObject(i: number): object {
  const name = nodeName(i);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": ZONES[i % ZONES.length],
        type: "kwok",
      },
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
    },
    // Nodes may carry status on create (a kubelet registers this way); kwok keeps these values.
    status: { allocatable: NODE_RESOURCES, capacity: NODE_RESOURCES },
  };
}

interface NodeView {
  readonly metadata: { readonly name: string };
  readonly spec?: { readonly taints?: readonly { readonly key: string }[] };
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string }[] };
}

export async function registerNodes(server: string, tls: TlsIdentity, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await httpsRequest(`${server}/api/v1/nodes`, tls, "POST", nodeObject(i));
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`registering Node ${nodeName(i)} failed: HTTP ${res.status} ${res.body}`);
    }
  }
}

/** Ready=True and no not-ready/unreachable taint (the node-lifecycle controller removes it). */
export async function waitForSchedulableNodes(
  server: string,
  tls: TlsIdentity,
  cfg: ClusterConfig,
): Promise<void> {
  await waitFor(
    `${cfg.nodeCount} kwok Nodes Ready and untainted`,
    async () => {
      const res = await httpsRequest(`${server}/api/v1/nodes`, tls);
      if (res.status !== 200) return notYet(`GET nodes: HTTP ${res.status} ${res.body}`);
      const items = (JSON.parse(res.body) as { items: NodeView[] }).items;
      const summary = items.map((n) => ({
        name: n.metadata.name,
        ready: n.status?.conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown",
        taints: (n.spec?.taints ?? []).map((t) => t.key),
      }));
      const good = summary.filter((n) => n.ready === "True" && n.taints.length === 0);
      return good.length >= cfg.nodeCount ? done(undefined) : notYet(summary);
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

export async function waitForDefaultServiceAccount(server: string, tls: TlsIdentity): Promise<void> {
  await waitFor(
    "ServiceAccount default/default (created by kube-controller-manager)",
    async () => {
      const res = await httpsRequest(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls);
      return res.status === 200 ? done(undefined) : notYet(`HTTP ${res.status} ${res.body}`);
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

export async function serverVersion(server: string, tls: TlsIdentity): Promise<string> {
  const res = await httpsRequest(`${server}/version`, tls);
  const parsed = JSON.parse(res.body) as { gitVersion?: string };
  return parsed.gitVersion ?? "unknown";
}
