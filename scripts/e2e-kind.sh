#!/usr/bin/env bash
# npm run e2e:kind — for machines with Docker (not the development machines here, which have no Docker
# engine): builds the controller image, creates a kind cluster, installs the chart with that image and runs
# the e2e suite against the cluster with KUBECONFIG. The suite then uses the installed controller instead of
# starting one on loopback (SLIPWAY_E2E_CONTROLLER=installed).
#
#   SLIPWAY_KIND_CLUSTER  cluster name (default slipway-e2e; reused when it exists)
#   SLIPWAY_KIND_KEEP=1   keep the cluster afterwards
set -euo pipefail

cluster="${SLIPWAY_KIND_CLUSTER:-slipway-e2e}"
image="slipway:e2e-$(git rev-parse --short HEAD 2>/dev/null || echo dev)"
kubeconfig="$(mktemp -t slipway-kind-XXXXXX.kubeconfig)"
root="$(cd "$(dirname "$0")/.." && pwd)"

fail() { echo "e2e:kind: $*" >&2; exit 1; }
for tool in docker kind helm kubectl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (this script needs docker, kind, helm and kubectl)"
done
docker info >/dev/null 2>&1 || fail "the Docker daemon is not reachable (is Docker running?)"

cleanup() {
  if [[ "${SLIPWAY_KIND_KEEP:-}" != "1" ]]; then kind delete cluster --name "$cluster" >/dev/null 2>&1 || true; fi
  rm -f "$kubeconfig"
}
trap cleanup EXIT

echo "==> building $image"
docker build -t "$image" "$root"

if ! kind get clusters | grep -qx "$cluster"; then
  echo "==> creating kind cluster $cluster"
  kind create cluster --name "$cluster" --wait 180s
fi
kind get kubeconfig --name "$cluster" >"$kubeconfig"
export KUBECONFIG="$kubeconfig"

echo "==> loading the image and installing charts/slipway"
kind load docker-image "$image" --name "$cluster"
helm upgrade --install slipway "$root/charts/slipway" \
  --namespace slipway-system --create-namespace \
  --set image.repository="${image%%:*}" --set image.tag="${image#*:}" --set image.pullPolicy=Never \
  --set logLevel=debug --wait --timeout 5m
kubectl -n slipway-system rollout status deployment/slipway --timeout 180s

echo "==> running the e2e suite against $cluster"
cd "$root"
# The demo drives its own local control plane, Prometheus and controller: it has no place on kind.
SLIPWAY_E2E_CONTROLLER=installed npm run test:e2e -- --exclude test/e2e/demo.test.ts
