#!/usr/bin/env bash
# Installs Debian's prometheus when it is missing, so `npm run demo` and `npm test` need no manual step.
# Only as root with apt-get; otherwise it says what to run. The package's own system service is stopped:
# Slipway's demo and tests start their own Prometheus on a free loopback port.
set -euo pipefail
bin=${SLIPWAY_PROMETHEUS:-/usr/bin/prometheus}
[ -x "$bin" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$bin is missing: run 'sudo apt-get install -y --no-install-recommends prometheus'" \
    "(or set SLIPWAY_PROMETHEUS to a prometheus binary)" >&2
  exit 1
fi
echo "prometheus is missing: installing Debian's package (once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
systemctl stop prometheus 2>/dev/null || service prometheus stop 2>/dev/null || true
[ -x "$bin" ] || { echo "apt-get installed prometheus but $bin is still missing" >&2; exit 1; }
