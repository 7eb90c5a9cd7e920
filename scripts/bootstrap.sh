#!/usr/bin/env bash
# Installs what virt-overhead needs on Debian/Ubuntu, only what is missing, then builds.
#   scripts/bootstrap.sh          runtime: sysbench, InfluxDB 1.x, Node >= 20, npm packages
#   scripts/bootstrap.sh --test   also what the tests use: QEMU (lab guests), busybox-static, openssl (TLS tests),
#                                 kmod, e2fsprogs, systemd (unit checks), docker-compose, chromium
set -euo pipefail
cd "$(dirname "$0")/.."

want=(sysbench influxdb influxdb-client)
if [[ "${1:-}" == "--test" ]]; then
  want+=(qemu-system-x86 busybox-static kmod e2fsprogs xz-utils zstd binutils systemd docker-compose chromium util-linux gcc libc6-dev openssl)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "virt-overhead: missing Debian packages: ${missing[*]}; run this as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # influxdb's package starts a system influxd on :8086; we never use it, so keep it off.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "virt-overhead: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none)). Install Node 20 (e.g. Debian 13's nodejs, or NodeSource's node_20.x) and run this again." >&2
  exit 1
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
else
  npm run build
fi
