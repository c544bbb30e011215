// Which cluster the e2e tests talk to. The global setup decides and provides it; outside vitest
// (scripts, benchmarks) the same facts come from the environment.
import { existsSync, readFileSync } from "node:fs";
import { inject } from "vitest";
import { clusterPaths, loadConfig } from "../../cluster/config.ts";
import type { ClusterInfo, TestUser } from "../../cluster/config.ts";

export interface ProvidedCluster {
  /** Admin kubeconfig. */
  readonly kubeconfig: string;
  /** True for the local control plane of test/cluster (then stateDir and userKubeconfigs are set). */
  readonly local: boolean;
  readonly stateDir?: string;
  readonly userKubeconfigs?: Readonly<Record<TestUser, string>>;
}

declare module "vitest" {
  export interface ProvidedContext {
    slipwayCluster: ProvidedCluster;
  }
}

/** Describes the local cluster if `cluster.json` exists in the state directory. */
export function localClusterFromState(stateDir = loadConfig().stateDir): ProvidedCluster | undefined {
  const infoFile = clusterPaths(stateDir).info;
  if (!existsSync(infoFile)) return undefined;
  const info = JSON.parse(readFileSync(infoFile, "utf8")) as ClusterInfo;
  return {
    kubeconfig: info.adminKubeconfig,
    local: true,
    stateDir: info.stateDir,
    userKubeconfigs: info.userKubeconfigs,
  };
}

let cached: ProvidedCluster | undefined;

export function currentCluster(): ProvidedCluster {
  if (cached) return cached;
  try {
    cached = inject("slipwayCluster");
  } catch {
    // Not inside a vitest worker.
  }
  if (!cached) {
    const local = localClusterFromState();
    const env = process.env["KUBECONFIG"];
    if (env && env !== local?.kubeconfig) cached = { kubeconfig: env, local: false };
    else if (local) cached = local;
  }
  if (!cached) {
    throw new Error(
      "no cluster: start one with `npm run cluster:up` or set KUBECONFIG to an existing cluster",
    );
  }
  return cached;
}
