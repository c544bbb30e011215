// Placeholder e2e globalSetup (the real one, which starts the local control plane, lives on the
// cluster branch): it only insists that KUBECONFIG names a reachable cluster's credentials.
import { existsSync } from "node:fs";

export default function setup(): void {
  const kubeconfig = process.env["KUBECONFIG"];
  if (kubeconfig === undefined || kubeconfig === "") {
    throw new Error(
      "e2e tests need a cluster: start the local control plane (npm run cluster:up) and set KUBECONFIG=/tmp/slipway-cluster/admin.kubeconfig",
    );
  }
  if (!existsSync(kubeconfig)) throw new Error(`KUBECONFIG=${kubeconfig} does not exist; is the cluster up?`);
}
