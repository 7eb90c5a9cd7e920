#!/bin/sh
# Captures the files `virt-overhead detect` reads into a fixture tree, for test/fixtures/env/<name>/.
# Run as root on the machine to record:  agent/detect/capture-fixture.sh OUTDIR
# Only the lines detection needs are copied: from the kernel log just "Hypervisor detected:",
# never the kernel command line; from /proc/1/environ only container=.
set -eu
out=${1:?usage: capture-fixture.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
copy() { # copy a file if readable, keeping its path under $out
  if [ -r "$1" ] && cat "$1" >/dev/null 2>&1; then mkdir -p "$out$(dirname "$1")"; cat "$1" > "$out$1"; fi
}
copy /proc/cpuinfo
copy /proc/1/cgroup
copy /proc/sys/kernel/osrelease
for f in product_name sys_vendor board_vendor bios_vendor product_version; do copy /sys/class/dmi/id/$f; done
copy /sys/devices/system/clocksource/clocksource0/available_clocksource
copy /sys/devices/system/clocksource/clocksource0/current_clocksource
copy /sys/hypervisor/type
copy /proc/device-tree/hypervisor/compatible
copy /run/systemd/container
[ -d /proc/xen ] && mkdir -p "$out/proc/xen"
# Which module serves KVM (kvm_intel, kvm_amd, kvm_pvm): its /proc/modules line and, for a
# built-in module, its /sys/module directory (an empty marker file each); /sys/class/misc/kvm
# exists only once a module registered the device.
if [ -r /proc/modules ]; then
  mkdir -p "$out/proc"; grep -E '^kvm(_[a-z]+)? ' /proc/modules > "$out/proc/modules" || true
fi
for m in kvm kvm_intel kvm_amd kvm_pvm; do
  if [ -d /sys/module/$m ]; then mkdir -p "$out/sys/module"; : > "$out/sys/module/$m"; fi
done
copy /sys/class/misc/kvm/dev
for marker in /.dockerenv /run/.containerenv /dev/kvm; do
  if [ -e "$marker" ]; then mkdir -p "$out$(dirname "$marker")"; : > "$out$marker"; fi
done
if ( tr '\0' '\n' < /proc/1/environ ) >/dev/null 2>&1; then
  mkdir -p "$out/proc/1"; tr '\0' '\n' < /proc/1/environ | grep '^container=' | tr '\n' '\0' > "$out/proc/1/environ" || true
fi
{ dmesg 2>/dev/null || cat /var/log/kern.log 2>/dev/null || true; } | grep 'Hypervisor detected' > "$out/dmesg.txt" || true
helper=""
for h in "$here/../../dist/agent/detect/cpuid/cpuid" "$here/cpuid/cpuid"; do [ -x "$h" ] && helper=$h && break; done
if [ -n "$helper" ]; then
  "$helper" --kvm-probe > "$out/.probe"
  grep -v '^kvm ' "$out/.probe" > "$out/cpuid.txt"
  grep '^kvm ' "$out/.probe" > "$out/kvm-probe.txt" || true
  rm -f "$out/.probe"
else
  echo "capture-fixture: CPUID helper not built (agent/detect/cpuid/build.sh); no cpuid.txt" >&2
fi
if command -v systemd-detect-virt >/dev/null 2>&1; then
  printf 'vm: %s\ncontainer: %s\n' "$(systemd-detect-virt --vm || true)" "$(systemd-detect-virt --container || true)" > "$out/systemd-detect-virt.txt"
fi
echo "captured into $out; add a README.md saying where and when" >&2
