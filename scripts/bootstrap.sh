#!/usr/bin/env bash
# Installs what virt-overhead needs on Debian/Ubuntu, only what is missing, then builds.
#   scripts/bootstrap.sh          runtime: sysbench, InfluxDB 1.x, Node >= 20, npm packages
#   scripts/bootstrap.sh --lab    also QEMU and what the lab's throwaway guests need (when the
#                                 packages cannot be installed, it says so and goes on without)
#   scripts/bootstrap.sh --test   the lab's packages plus the test tools: systemd (unit checks),
#                                 docker-compose, chromium (HTML report), openssl (TLS tests), gcc,
#                                 man-db (the man pages render), QEMU's user emulator with the arm64
#                                 C libraries (the aarch64 agent file), mmdebstrap (the real
#                                 Debian guest of lab/debian-guest.test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."

level=${1:-}
runtime=(sysbench influxdb influxdb-client)
lab=(qemu-system-x86 busybox-static kmod e2fsprogs xz-utils zstd binutils util-linux)
testing=(systemd docker-compose chromium gcc libc6-dev openssl man-db qemu-user libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross mmdebstrap dosfstools mtools qemu-utils)

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

updated=0
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "virt-overhead: missing Debian packages: $*; run this as root or: sudo apt-get install $*" >&2
    return 1
  fi
  echo "installing: $*"
  export DEBIAN_FRONTEND=noninteractive
  if ((updated == 0)); then apt-get update -qq && updated=1; fi
  # influxdb's package starts a system influxd on :8086; we never use it, so keep it off.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  local rc=0
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
  rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

mapfile -t need < <(missing_of "${runtime[@]}")
if ((${#need[@]})); then apt_install "${need[@]}"; fi

if [[ "$level" == "--test" ]]; then
  mapfile -t need < <(missing_of "${lab[@]}" "${testing[@]}")
  if ((${#need[@]})); then apt_install "${need[@]}"; fi
elif [[ "$level" == "--lab" ]]; then
  mapfile -t need < <(missing_of "${lab[@]}")
  if ((${#need[@]})) && ! apt_install "${need[@]}"; then
    echo "virt-overhead: could not install the lab's packages (${need[*]}); going on without a QEMU guest" >&2
  fi
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
