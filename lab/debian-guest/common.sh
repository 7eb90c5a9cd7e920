# Shared by the lab's Debian guest boot scripts (sourced, not run).
# VO_E2E lines on the console are what the host-side test reads.
say() { echo "VO_E2E $*"; }
# Every path on the root disk outside the kernel's, systemd's runtime and log trees and the
# lab's own files: taken before the install and after --uninstall, the difference is what the
# installer left behind.
snapshot() {
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/tmp \
    -o -path /var/log -o -path /root/vo \) -prune -o -print | sort
}
