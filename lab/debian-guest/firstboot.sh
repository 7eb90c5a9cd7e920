#!/bin/sh
# First boot of the lab's real Debian guest: install the agent exactly as docs/install.md says
# (the single-file bundle and install-agent.sh, the token as a systemd credential), run it once
# from its installed unit, report on the console (VO_E2E lines) and power off.
# Settings come from /root/vo/firstboot.env (GROUP, VARIANT, TESTS, TRIALS, and MODE: `wait` runs
# the unit to its end; `cut` starts it and streams its journal until the test cuts the power).
# Before installing it lists the disk (common.sh snapshot) for the --uninstall check of faults.sh.
set -u
. /root/vo/common.sh
# Whatever happens, say so and power off: a guest left running only times out.
trap 'say "firstboot ended ($?)"; systemctl poweroff' EXIT
. /root/vo/firstboot.env
say "pid1: $(readlink /proc/1/exe)"
i=0
while [ $i -lt 90 ] && ! ip -4 addr show | grep -q '10.0.2.15/'; do sleep 1; i=$((i + 1)); done
say "network: $(ip -4 addr show | grep -o '10.0.2.15/24' || echo none)"
snapshot > /root/vo/before.list
sh /root/vo/install-agent.sh --from /root/vo/virt-overhead-agent.mjs --collector 10.0.2.100:50051 \
   --token-file /etc/virt-overhead/token --group "$GROUP" --role guest --variant "$VARIANT" \
   --profile quick --allow-plaintext
say "install exit $?"
printf 'tests: [%s]\ntrials: %s\n' "$TESTS" "$TRIALS" >> /etc/virt-overhead/agent.yaml
sync # the power may be cut soon (MODE=cut): the edit must be on disk, as an operator's would be
say "timer: $(systemctl is-enabled virt-overhead-agent.timer) $(systemctl is-active virt-overhead-agent.timer)"
touch /var/lib/vo-firstboot.done
if [ "${MODE:-wait}" = cut ]; then
  trap - EXIT
  systemctl start --no-block virt-overhead-agent.service
  say "unit started; the power may go any moment"
  journalctl -f -u virt-overhead-agent.service --no-pager -o cat | sed -u 's/^/VO_E2E journal: /'
  exit 0
fi
# Run now instead of waiting for the timer's slot: the unit as installed, started by systemd.
systemctl start virt-overhead-agent.service
say "unit exit $? result=$(systemctl show -p Result --value virt-overhead-agent.service) user=$(systemctl show -p DynamicUser --value virt-overhead-agent.service)"
journalctl -u virt-overhead-agent.service --no-pager -o cat | tail -n 40 | sed 's/^/VO_E2E journal: /'
say "resident agents after the run: $(pgrep -fc 'virt-overhead agent' || true)"
say DONE
