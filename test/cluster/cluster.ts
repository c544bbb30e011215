// The local Kubernetes control plane for development and e2e tests.
//   npm exec -- node test/cluster/cluster.ts up      start (no-op when a healthy cluster runs)
//        ... up --with-kruise             also OpenKruise's kruise-manager (started if not running)
//   npm exec -- node test/cluster/cluster.ts down    stop every process and remove the state directory
//   npm exec -- node test/cluster/cluster.ts status  per-component process and health state (exit 1 unless healthy)
//   npm exec -- node test/cluster/cluster.ts env     shell exports for the running cluster: eval "$(... env)"
import { ensureKruise } from "./kruise.ts";
import { down, runningCluster, status, up } from "./lifecycle.ts";
import type { ClusterInfo } from "./config.ts";

function envLines(info: ClusterInfo): string[] {
  return [
    `export KUBECONFIG=${info.adminKubeconfig}`,
    `export SLIPWAY_CLUSTER_DIR=${info.stateDir}`,
    `export PATH=${info.binDir}:$PATH`,
  ];
}

function usage(info: ClusterInfo): string {
  return [
    `Kubernetes ${info.kubernetesVersion} is running at ${info.server}`,
    ``,
    `  export KUBECONFIG=${info.adminKubeconfig}     # admin (system:masters)`,
    `  ${info.binDir}/kubectl get nodes`,
    `  eval "$(npm exec -- node test/cluster/cluster.ts env)"   # KUBECONFIG + kubectl/helm on PATH`,
    ``,
    `Users: ${Object.entries(info.userKubeconfigs)
      .map(([u, f]) => `${u} -> ${f}`)
      .join(", ")}`,
    `Logs:  ${info.stateDir}/logs/<component>.log`,
    `Stop:  npm run cluster:down`,
  ].join("\n");
}

async function main(command: string | undefined, flags: readonly string[]): Promise<number> {
  const unknown = flags.filter((f) => !(command === "up" && f === "--with-kruise"));
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(" ")}; only 'up' takes one: --with-kruise`);
    return 2;
  }
  switch (command) {
    case "up": {
      const t0 = Date.now();
      const info = await up((line) => console.error(line));
      if (flags.includes("--with-kruise")) await ensureKruise((line) => console.error(line));
      console.error(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
      console.log(usage(info));
      return 0;
    }
    case "down":
      await down((line) => console.error(line));
      return 0;
    case "status": {
      const s = await status();
      console.log(s.lines.join("\n"));
      return s.healthy ? 0 : 1;
    }
    case "env": {
      const info = await runningCluster();
      if (info === undefined) {
        console.error("no healthy cluster is running; start one with: npm run cluster:up");
        return 1;
      }
      console.log(envLines(info).join("\n"));
      return 0;
    }
    default:
      console.error("usage: npm exec -- node test/cluster/cluster.ts up [--with-kruise]|down|status|env");
      return 2;
  }
}

main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
