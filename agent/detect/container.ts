// Decides the container layer. Explicit statements ($container, /run/systemd/container, pid 1's
// environment) outrank marker files (/run/.containerenv, /.dockerenv), which outrank cgroup
// paths, then the WSL kernel name, then systemd-detect-virt.
import { containerFromName } from './names.js';
import type { Signals } from './signals.js';
import type { Container, Evidence } from './types.js';

function fromCgroup(text: string): Container | null {
  if (/\/docker[/-]|docker-[0-9a-f]+\.scope/.test(text)) return 'docker';
  if (/libpod/.test(text)) return 'podman';
  if (/\/lxc[/.]|lxc\.payload/.test(text)) return 'lxc';
  if (/kubepods|containerd|crio-/.test(text)) return 'container-other';
  return null;
}

export function decideContainer(s: Signals): { container: Container; evidence: Evidence[] } {
  const evidence: Evidence[] = [];
  const found: { container: Container; signal: string }[] = [];
  const say = (signal: string, value: string, c: Container | null) => {
    evidence.push({ signal, value, says: c ? `container ${c}` : 'no container' });
    if (c && c !== 'none') found.push({ container: c, signal });
  };

  if (s.envContainer) say('$container', s.envContainer, containerFromName(s.envContainer));
  if (s.runSystemdContainer) say('/run/systemd/container', s.runSystemdContainer, containerFromName(s.runSystemdContainer));
  if (s.pid1Container === undefined) evidence.push({ signal: '/proc/1/environ', value: '(unreadable)', says: 'no answer' });
  else if (s.pid1Container) say('/proc/1/environ container=', s.pid1Container, containerFromName(s.pid1Container));
  if (s.containerenv) say('/run/.containerenv', 'present', 'podman');
  if (s.dockerenv) say('/.dockerenv', 'present', 'docker');
  if (s.pid1Cgroup != null) {
    const c = fromCgroup(s.pid1Cgroup);
    const value =
      s.pid1Cgroup
        .trim()
        .split('\n')
        .find((l) => fromCgroup(l)) ??
      s.pid1Cgroup.trim().split('\n')[0] ??
      '';
    say('/proc/1/cgroup', value, c);
  }
  if (s.osrelease && /microsoft/i.test(s.osrelease)) say('/proc/sys/kernel/osrelease', s.osrelease, 'wsl');
  if (!('unavailable' in s.systemdDetectVirt) && s.systemdDetectVirt.container) {
    say('systemd-detect-virt --container', s.systemdDetectVirt.container, containerFromName(s.systemdDetectVirt.container));
  }

  const pick = found[0];
  const container: Container = pick ? pick.container : 'none';
  evidence.push({
    signal: 'rule',
    value: pick ? `first container signal in precedence order: ${pick.signal}` : 'no container marker',
    says: `container ${container}`,
  });
  return { container, evidence };
}
