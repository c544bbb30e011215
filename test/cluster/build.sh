#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy.
# Output: $SLIPWAY_CACHE/bin/<key>/ where <key> hashes both wrapper go.sum files, so a
# second run on the same machine (any clone) builds nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${SLIPWAY_CACHE:-$HOME/.cache/slipway}
key=$(cat "$here/go.mod" "$here/go.sum" "$here/tools/go.mod" "$here/tools/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)
bin="$cache/bin/$key"
if [ -f "$bin/.complete" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "go is required to build the local control plane (Go >= 1.26)" >&2; exit 1; }
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
tmp="$bin.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
start=$(date +%s)

kver=$(awk '$1=="k8s.io/kubernetes" && $2 ~ /^v[0-9]/ {print $2; exit}' "$here/go.mod")
minor=$(echo "$kver" | cut -d. -f2)
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X $p.gitVersion=$kver -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  ld+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=2000-01-01T00:00:00Z"
done
echo "building Kubernetes $kver control plane into $bin (first time only; ~20-40 min on 2 cores)" >&2
(cd "$here" && go build -trimpath -ldflags "$ld" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
(cd "$here/tools" && go build -trimpath -ldflags "-s -w" -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok)
(cd "$here/tools" && go build -trimpath -ldflags "-s -w" -o "$tmp/helm" helm.sh/helm/v4/cmd/helm)
echo "$(( $(date +%s) - start ))" > "$tmp/.build-seconds"
touch "$tmp/.complete"
rm -rf "$bin"; mv "$tmp" "$bin"
echo "built in $(cat "$bin/.build-seconds")s" >&2
echo "$bin"
