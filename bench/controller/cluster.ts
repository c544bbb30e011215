// The benchmark's cluster and controller: the local control plane of test/cluster, started with an audit
// policy (the audit log is where the benchmark reads every API write), and `slipway controller` as a child
// process, started the way the e2e tests start it.
import { fileURLToPath } from "node:url";
import { clusterPaths, loadConfig } from "../../test/cluster/config.ts";
import { down, runningCluster, up } from "../../test/cluster/lifecycle.ts";
import { startSlipway, type SlipwayProcess } from "../../test/e2e/rollout/controller-process.ts";

export interface BenchCluster {
  readonly kubeconfig: string;
  readonly auditLog: string;
  /** Started by this run (and so stopped at its end). */
  readonly startedHere: boolean;
}

const POLICY = fileURLToPath(new URL("./audit-policy.yaml", import.meta.url));

/** Reuses a running local cluster that writes an audit log, or starts one. */
export async function auditedCluster(log: (line: string) => void): Promise<BenchCluster> {
  const localAdmin = clusterPaths(loadConfig().stateDir).kubeconfig("admin");
  const external = process.env["KUBECONFIG"];
  if (external && external !== localAdmin) {
    throw new Error(
      `KUBECONFIG=${external} is not the local control plane; the controller benchmark reads the local ` +
        `API server's audit log: unset KUBECONFIG`,
    );
  }
  process.env["SLIPWAY_AUDIT_POLICY"] = POLICY;
  const running = await runningCluster();
  if (running !== undefined && running.auditLog === undefined) {
    throw new Error(
      `the local cluster in ${running.stateDir} runs without an audit log; stop it (npm run cluster:down) ` +
        `or choose another SLIPWAY_CLUSTER_DIR and SLIPWAY_*_PORT values: the benchmark starts its own`,
    );
  }
  const info = running ?? (await up(log));
  process.env["KUBECONFIG"] = info.adminKubeconfig;
  return {
    kubeconfig: info.adminKubeconfig,
    auditLog: info.auditLog ?? "",
    startedHere: running === undefined,
  };
}

/** Stops the cluster if this run started it (unless SLIPWAY_KEEP_CLUSTER=1); returns whether it did. */
export async function stopCluster(cluster: BenchCluster, log: (line: string) => void): Promise<boolean> {
  if (!cluster.startedHere || process.env["SLIPWAY_KEEP_CLUSTER"] === "1") return false;
  await down(log);
  return true;
}

/**
 * `slipway controller` as in production (leader election on, 4 workers, info logs), watching every
 * namespace, with the webhook in local mode; resolves once it leads.
 */
export function startBenchController(name: string): Promise<SlipwayProcess> {
  return startSlipway(
    name,
    "controller",
    ["--webhook-local-port", "0", "--metrics-port", "0", "--leader-elect", "--log-level", "info"],
    (line) => line.msg === "became leader",
  );
}
