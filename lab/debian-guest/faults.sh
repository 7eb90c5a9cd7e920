#!/bin/sh
# Second boot of the lab's real Debian guest, after the test cut its power while results were
# sent but not acknowledged (the collector was stopped). One step after the other, each on the
# installed unit under systemd, each reported on the console for the host to check:
#   upgrade   install a newer release (its agent file) over the installed one; the next run replays the spool
#   restart   `systemctl restart` while the unit is mid-run
#   nodns     a collector address that does not resolve (the guest has no DNS), then fixed
#   fulldisk  the state directory on a full tmpfs (ENOSPC)
#   uninstall --uninstall, then the disk listed again against the list taken before the install
# `VO_E2E journal <step>: <line>` carries the unit's own log lines (pino JSON) of each run.
set -u
. /root/vo/common.sh
trap 'say "faults ended ($?)"; systemctl poweroff' EXIT
I=/srv/virt-overhead/install-agent.sh
U=virt-overhead-agent.service
VO=/opt/virt-overhead/bin/virt-overhead
STATE=/var/lib/private/virt-overhead
STEP=none
step() { STEP=$1; say "step $1"; }
# The journal of one invocation of the unit (default: the last), tagged with the step.
dump() {
  id=${1:-$(systemctl show -p InvocationID --value $U)}
  journalctl "_SYSTEMD_INVOCATION_ID=$id" -o cat --no-pager | sed "s/^/VO_E2E journal $STEP: /"
}
# Runs the unit to its end as the timer would; says how it ended.
run_unit() {
  systemctl start $U
  say "$STEP: unit exit $? result=$(systemctl show -p Result --value $U) status=$(systemctl show -p ExecMainStatus --value $U)"
  dump
}
digest() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

step upgrade
# Boot 1's run measured four tests (so that it outlasted the agent's connect); two are enough now.
sed -i 's/^tests: .*/tests: [cpu, mutex]/' /etc/virt-overhead/agent.yaml
sed 's/^/VO_E2E agent.yaml: /' /etc/virt-overhead/agent.yaml | cat -A | sed 's/\$$//'
say "upgrade: spool files before: $(ls $STATE/spool | tr '\n' ' ')"
say "upgrade: version before: $($VO --version)"
conf=$(digest /etc/virt-overhead/agent.yaml /etc/virt-overhead/token)
segs=$(digest $STATE/spool/*.seg)
# The documented upgrade: the new release's installer, --from its folder (the agent file for
# this machine's architecture), no other option.
sh /root/vo/new/install-agent.sh --from /root/vo/new
say "upgrade: install exit $?"
say "upgrade: version after: $($VO --version)"
say "upgrade: config kept: $([ "$conf" = "$(digest /etc/virt-overhead/agent.yaml /etc/virt-overhead/token)" ] && echo yes || echo no)"
say "upgrade: spool kept: $([ "$segs" = "$(digest $STATE/spool/*.seg)" ] && echo yes || echo no)"
run_unit

step restart
# Two trials for this step, so that a result is spooled while a sysbench still runs: a second
# `sysbench cpu ... run` process (trial 2) means trial 1's result is in; restart then. (The
# mutex test alone can end between two looks under TCG.)
sed -i 's/^trials: .*/trials: 2/' /etc/virt-overhead/agent.yaml
systemctl start --no-block $U
first_pid='' until=$(($(date +%s) + 600))
while [ "$(date +%s)" -lt $until ]; do
  pid=$(pgrep -n -f 'sysbench cpu .*run$' || true)
  [ -n "$pid" ] && [ -z "$first_pid" ] && first_pid=$pid
  [ -n "$pid" ] && [ "$pid" != "$first_pid" ] && break
  [ "$(systemctl show -p ActiveState --value $U)" = failed ] && break
  sleep 0.2
done
first=$(systemctl show -p InvocationID --value $U)
say "restart: restarting while $(pgrep -a -f 'sysbench cpu .*run$' | head -n 1 | cut -c1-60)"
systemctl restart $U
say "restart: unit exit $? result=$(systemctl show -p Result --value $U)"
dump "$first"
dump
sed -i 's/^trials: .*/trials: 1/' /etc/virt-overhead/agent.yaml

step nodns
# The operator's typo: an address that does not resolve (no DNS in this guest at all).
sh $I --collector collector.invalid:50051
say "nodns: install exit $?"
echo 'flush_timeout: 20s' >>/etc/virt-overhead/agent.yaml
run_unit
say "nodns: spool files after: $(ls $STATE/spool | tr '\n' ' ')"
sh $I --collector 10.0.2.100:50051
say "nodns: fixed, install exit $? edits kept: $(grep -c '^\(tests\|trials\|flush_timeout\):' /etc/virt-overhead/agent.yaml)"
STEP=nodns-fixed
run_unit

step fulldisk
# The agent's state directory on a file system that fills up: 16 KiB left, a few records' worth
# once the spool's files take their first pages.
mount -t tmpfs -o size=256k,mode=0700 vo-full $STATE
dd if=/dev/zero of=$STATE/filler bs=4k 2>/dev/null
truncate -s -16K $STATE/filler
say "fulldisk: free KiB in $STATE: $(df -k --output=avail $STATE | tail -n 1 | tr -d ' ')"
run_unit
umount $STATE

step uninstall
sh $I --uninstall
say "uninstall: exit $?"
snapshot >/root/vo/after.list
diff /root/vo/before.list /root/vo/after.list | sed -n -e 's/^> /VO_E2E uninstall: left /p' -e 's/^< /VO_E2E uninstall: gone /p'
say "uninstall: units known to systemd: $(systemctl list-unit-files 'virt-overhead*' --no-legend | wc -l)"
say "uninstall: sysbench still there: $(command -v sysbench || echo no)"
say DONE
