# Shared by the lab's Debian guest boot scripts (sourced, not run).
# VO_E2E lines on the console are what the host-side test reads.
say() { echo "VO_E2E $*"; }
# A lab setting from the kernel command line: vo.NAME=VALUE (default $2).
lab_arg() {
  v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^vo\.$1=//p" | tail -n 1)
  echo "${v:-$2}"
}
# Every path on the root disk outside the kernel's, systemd's runtime and log trees and the
# lab's own files: taken before the install and after --uninstall, the difference is what the
# installer left behind.
snapshot() {
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/tmp \
    -o -path /var/log -o -path /root/vo \) -prune -o -print | sort
}
