// vitest globalSetup of the e2e project: decides which cluster the tests use and provides it.
// - KUBECONFIG set and not the local cluster's: use that cluster, start nothing.
// - otherwise: reuse a running local control plane, or start one (and stop it again at the end,
//   unless SLIPWAY_KEEP_CLUSTER=1; a cluster that was already running is always left running).
import type { TestProject } from "vitest/node";
import { clusterPaths, loadConfig } from "../cluster/config.ts";
import { down, runningCluster, up } from "../cluster/lifecycle.ts";
import type { ProvidedCluster } from "./lib/context.ts";

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const localAdmin = clusterPaths(loadConfig().stateDir).kubeconfig("admin");
  const external = process.env["KUBECONFIG"];
  if (external && external !== localAdmin) {
    console.error(`[e2e] using the cluster of KUBECONFIG=${external} (local control plane not started)`);
    project.provide("slipwayCluster", { kubeconfig: external, local: false } satisfies ProvidedCluster);
    return undefined;
  }

  const already = await runningCluster();
  const t0 = Date.now();
  const info = already ?? (await up((line) => console.error(`[cluster] ${line}`)));
  if (!already)
    console.error(`[e2e] started the local control plane in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  process.env["KUBECONFIG"] = info.adminKubeconfig;
  project.provide("slipwayCluster", {
    kubeconfig: info.adminKubeconfig,
    local: true,
    stateDir: info.stateDir,
    userKubeconfigs: info.userKubeconfigs,
  } satisfies ProvidedCluster);

  if (already || process.env["SLIPWAY_KEEP_CLUSTER"] === "1") return undefined;
  return async () => {
    await down((line) => console.error(`[cluster] ${line}`));
  };
}
