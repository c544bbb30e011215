#!/usr/bin/env bash
# Builds OpenKruise's controller manager (kruise-manager) from the Go module proxy.
# Output: $SLIPWAY_CACHE/bin/kruise-<key>/ where <key> hashes the wrapper module (test/cluster/kruise)
# and this script, so a second run on the same machine (any clone) builds nothing.
# Also prints the module directory (CRDs and webhook manifests are read from there) as a second line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mod="$here/kruise"
cache=${SLIPWAY_CACHE:-$HOME/.cache/slipway}
key=$(cat "$mod/go.mod" "$mod/go.sum" "$here/build-kruise.sh" | sha256sum | cut -c1-16)
bin="$cache/bin/kruise-$key"

export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
version=$(awk '$1=="github.com/openkruise/kruise" && $2 ~ /^v[0-9]/ {print $2; exit}' "$mod/go.mod")
[ -n "$version" ] || { echo "test/cluster/kruise/go.mod does not require github.com/openkruise/kruise" >&2; exit 1; }

if [ ! -f "$bin/.complete" ]; then
  command -v go >/dev/null || { echo "go is required to build kruise-manager (Go >= 1.24)" >&2; exit 1; }
  src=$(cd "$mod" && go mod download -json "github.com/openkruise/kruise@$version" | awk -F'"' '$2=="Dir" {print $4}')
  tmp="$bin.tmp.$$"; rm -rf "$tmp"; mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT  # a failed build leaves nothing behind
  start=$(date +%s)
  # kruise's main() hard-codes the webhook server's bind address to 0.0.0.0 (no flag or env for it), and
  # the local cluster listens on loopback only. Go refuses overlays of files in GOMODCACHE, so the build
  # compiles kruise's main.go, with that one literal set to 127.0.0.1, as a package of the wrapper module
  # (an overlay file: nothing is written into the worktree). Every other line, and every package it
  # imports, is kruise's as released. Fail loudly if a new version moved the line.
  needle='Host:    "0.0.0.0",'
  count=$(grep -cF "$needle" "$src/main.go" || true)
  if [ "$count" != "1" ]; then
    echo "expected exactly one '$needle' in $src/main.go, found $count; revisit build-kruise.sh" >&2
    exit 1
  fi
  sed "s/$needle/Host:    \"127.0.0.1\",/" "$src/main.go" > "$tmp/main.go"
  printf '{"Replace":{"%s":"%s"}}\n' "$mod/kruise-manager/main.go" "$tmp/main.go" > "$tmp/overlay.json"
  echo "building kruise-manager $version into $bin (first time only)" >&2
  (cd "$mod" && go build -trimpath -overlay "$tmp/overlay.json" -ldflags "-s -w" \
    -o "$tmp/kruise-manager" ./kruise-manager)
  rm "$tmp/main.go" "$tmp/overlay.json"
  echo "$(( $(date +%s) - start ))" > "$tmp/.build-seconds"
  echo "$version" > "$tmp/.version"
  touch "$tmp/.complete"
  rm -rf "$bin"; mv "$tmp" "$bin"
  echo "built in $(cat "$bin/.build-seconds")s" >&2
fi
# The module's own files (config/crd/bases, config/webhook, config/rbac); downloading is a no-op when cached.
src=$(cd "$mod" && go mod download -json "github.com/openkruise/kruise@$version" | awk -F'"' '$2=="Dir" {print $4}')
echo "$bin"
echo "$src"
