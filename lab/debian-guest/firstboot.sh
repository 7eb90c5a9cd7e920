#!/bin/sh
# First boot of the lab's real Debian guest, after cloud-init: the agent was installed by
# deploy/cloud-init/agent.yaml itself (from the NoCloud seed, only its placeholders filled in;
# the release folder baked in at /srv/virt-overhead). This reports what cloud-init did (VO_E2E
# lines on the console), shortens the profile as an operator may edit agent.yaml, runs the
# installed unit once and powers off.
# Settings come from the kernel command line (common.sh lab_arg): vo.mode (`wait` runs the unit
# to its end; `cut` starts it and streams its journal until the test cuts the power), vo.tests.
set -u
. /root/vo/common.sh
# Whatever happens, say so and power off: a guest left running only times out.
trap 'say "firstboot ended ($?)"; systemctl poweroff' EXIT
MODE=$(lab_arg mode wait)
TESTS=$(lab_arg tests cpu | sed 's/,/, /g')
say "pid1: $(readlink /proc/1/exe)"
say "network: $(ip -4 addr show | grep -o '10.0.2.15/24' || echo none)"
say "node: $(command -v node || echo none) $(find / -xdev \( -name node -o -name nodejs \) -type f 2>/dev/null | head -n 3 | tr '\n' ' ')"
say "cloud-init: $(cloud-init status 2>&1 | tr '\n' ' ')"
# The user-data checked against cloud-init's own schema (the sample must be valid as written):
# `cloud-init schema` since 22.2, `cloud-init devel schema` before (Debian 11's 20.4).
if cloud-init schema --help >/dev/null 2>&1; then schema='cloud-init schema'; else schema='cloud-init devel schema'; fi
say "schema command: $schema ($(cloud-init --version 2>&1))"
$schema --system 2>&1 | sed 's/^/VO_E2E schema: /'
say "cloud-init datasource: $(sed -n 's/.*"datasource": *"\([^"]*\)".*/\1/p' /run/cloud-init/result.json 2>/dev/null | head -n 1)"
# The installer's log, as cloud-init's runcmd captured it (the issue asks for this log).
sed 's/^/VO_E2E install: /' /var/log/cloud-init-output.log
say "install: $(systemctl is-enabled virt-overhead-agent.timer 2>&1) $(systemctl is-active virt-overhead-agent.timer 2>&1)"
say "agent: $(ls /opt/virt-overhead/lib 2>&1 | tr '\n' ' ')$(/opt/virt-overhead/bin/virt-overhead --version 2>&1)"
C=/etc/virt-overhead/agent.yaml
if grep -q '^profile:' $C; then sed -i 's/^profile: .*/profile: quick/' $C; else echo 'profile: quick' >>$C; fi
printf 'tests: [%s]\ntrials: 1\n' "$TESTS" >>$C
sync # the power may be cut soon (MODE=cut): the edit must be on disk, as an operator's would be
touch /var/lib/vo-firstboot.done
if [ "$MODE" = cut ]; then
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
