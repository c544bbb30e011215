// Placeholder until the local control-plane harness (branch `cluster`) is merged: e2e tests need a
// running cluster named by KUBECONFIG (e.g. KUBECONFIG=/tmp/slipway-cluster/admin.kubeconfig).
export default function setup(): void {
  if (!process.env["KUBECONFIG"]) {
    throw new Error(
      "KUBECONFIG is not set: start the local control plane (npm run cluster:up) and run " +
        "KUBECONFIG=/tmp/slipway-cluster/admin.kubeconfig npx vitest run --project e2e",
    );
  }
}
