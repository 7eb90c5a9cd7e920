#!/bin/sh
# Boots after the first of the lab's real Debian guest: run the installed unit once more (it
# sends what the spool kept from before a power cut first), report, power off.
set -u
say() { echo "VO_E2E $*"; }
trap 'say "nextboot ended ($?)"; systemctl poweroff' EXIT
say "next boot: spool holds $(ls /var/lib/private/virt-overhead/spool 2>/dev/null | wc -l) segment files"
systemctl start virt-overhead-agent.service
say "unit exit $? result=$(systemctl show -p Result --value virt-overhead-agent.service)"
journalctl -b -u virt-overhead-agent.service --no-pager -o cat | tail -n 20 | sed 's/^/VO_E2E journal: /'
say DONE
