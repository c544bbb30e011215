// helm and kubectl for the chart tests: the ones the local control plane was built with, else $PATH.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { clusterPaths, loadConfig, type ClusterInfo } from "../../cluster/config.ts";
import { currentCluster } from "../lib/index.ts";

export const CHART = join(import.meta.dirname, "../../../charts/slipway");

function binary(name: "helm" | "kubectl"): string {
  const info = clusterPaths(loadConfig().stateDir).info;
  if (existsSync(info)) {
    const built = join((JSON.parse(readFileSync(info, "utf8")) as ClusterInfo).binDir, name);
    if (existsSync(built)) return built;
  }
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (found === "") {
    throw new Error(`${name} not found: run \`npm run cluster:build\` (builds it) or put ${name} on PATH`);
  }
  return found;
}

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(name: "helm" | "kubectl", args: readonly string[], input?: string): Run {
  const r = spawnSync(binary(name), [...args], {
    encoding: "utf8",
    input,
    env: {
      ...process.env,
      KUBECONFIG: currentCluster().kubeconfig,
      HELM_CACHE_HOME: "/tmp/slipway-helm/cache",
      HELM_CONFIG_HOME: "/tmp/slipway-helm/config",
      HELM_DATA_HOME: "/tmp/slipway-helm/data",
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const helm = (args: readonly string[]) => run("helm", args);
export const kubectl = (args: readonly string[], input?: string) => run("kubectl", args, input);

/** `helm template` of the chart; throws with helm's message on failure. */
export function template(
  release: string,
  namespace: string,
  sets: readonly string[] = [],
  extra: readonly string[] = [],
): string {
  const r = helm([
    "template",
    release,
    CHART,
    "--namespace",
    namespace,
    ...sets.flatMap((s) => ["--set", s]),
    ...extra,
  ]);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
