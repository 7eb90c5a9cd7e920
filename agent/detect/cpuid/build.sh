#!/bin/sh
# Builds the CPUID/KVM helper next to the compiled detect module (dist/agent/detect/cpuid/cpuid),
# where agent/detect/cpuid-reader.ts looks first. Optional: without a C compiler detection
# still runs and says in its evidence that CPUID could not be read.
# Usage: agent/detect/cpuid/build.sh [OUTPUT]   (run from anywhere)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../../../dist/agent/detect/cpuid/cpuid"}
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "cpuid helper: no C compiler ($cc); skipping (detect falls back to other signals)" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
"$cc" -O2 -Wall -Wextra -o "$out.tmp" "$here/cpuid.c"
mv "$out.tmp" "$out"
echo "cpuid helper: built $out" >&2
