// The committed deployment files, checked by the tools that consume them: systemd-analyze
// verify on both units, docker-compose config on the compose file, a YAML parse of the
// cloud-init user-data. Each check also runs on a broken copy, so it is seen to fail.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { deployedNodeOptions } from '../bench/fleet-collector.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const UNITS = ['virt-overhead-agent.service', 'virt-overhead-collector.service'];

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const HAVE_ANALYZE = have('systemd-analyze') && existsSync('/usr/lib/systemd/system');
const HAVE_COMPOSE = have('docker-compose');
if (!HAVE_ANALYZE) console.warn('systemd-analyze not found: unit verification skipped (apt-get install systemd)');
if (!HAVE_COMPOSE) console.warn('docker-compose not found: compose validation skipped (apt-get install docker-compose)');

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, GRAFANA_ADMIN_PASSWORD: 'test-only', ...env } });

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vo-deploy-files-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A root holding systemd's own units, the ExecStart binary and the given unit texts. */
function unitRoot(name: string, units: Record<string, string>): string {
  const root = join(work, name);
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'opt/virt-overhead/bin'), { recursive: true });
  writeFileSync(join(root, 'opt/virt-overhead/bin/virt-overhead'), '#!/bin/sh\n', { mode: 0o755 });
  mkdirSync(join(root, 'bin'), { recursive: true });
  writeFileSync(join(root, 'bin/kill'), '#!/bin/sh\n', { mode: 0o755 }); // the collector's ExecReload
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const [unit, text] of Object.entries(units)) writeFileSync(join(root, 'etc/systemd/system', unit), text);
  return root;
}
/** systemd-analyze exits 0 on unknown keys: its lines about our units are the verdict. */
function verify(root: string, units: string[]): string[] {
  const r = run('systemd-analyze', ['verify', `--root=${root}`, ...units]);
  const ours = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('virt-overhead'));
  if (r.status !== 0 && ours.length === 0) ours.push(`exit ${r.status}: ${r.stderr}`);
  return ours;
}
/** key -> values of a unit file (keys may repeat). */
function directives(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const hit = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (hit) m.set(hit[1]!, [...(m.get(hit[1]!) ?? []), hit[2]!]);
  }
  return m;
}
const unitText = (unit: string): string => readFileSync(join(REPO, 'deploy/systemd', unit), 'utf8');

describe('systemd units', () => {
  it.skipIf(!HAVE_ANALYZE)('systemd-analyze verify reports nothing about either unit', () => {
    const root = unitRoot('units', Object.fromEntries(UNITS.map((u) => [u, unitText(u)])));
    expect(verify(root, UNITS)).toEqual([]);
  });

  it.skipIf(!HAVE_ANALYZE)('and does report a misspelt key and a missing binary', () => {
    const broken = unitText(UNITS[0]!).replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes');
    const root = unitRoot('units-broken', { [UNITS[0]!]: broken });
    expect(verify(root, [UNITS[0]!]).join('\n')).toContain("Unknown key 'NoNewPrivilege'");
    rmSync(join(root, 'opt/virt-overhead/bin/virt-overhead'));
    expect(verify(root, [UNITS[0]!]).join('\n')).toContain('is not executable');
  });

  it.each(UNITS)('%s is hardened and restarts on failure', (unit) => {
    const d = directives(unitText(unit));
    for (const [key, value] of [
      ['DynamicUser', 'yes'],
      ['ProtectSystem', 'strict'],
      ['PrivateTmp', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['Restart', 'on-failure'],
      ['ConfigurationDirectory', 'virt-overhead'],
      ['CapabilityBoundingSet', ''],
      ['WantedBy', 'multi-user.target'],
    ] as const) {
      expect(d.get(key), `${unit}: ${key}`).toEqual([value]);
    }
  });

  it('the agent runs from its config, with work dir and spool in its StateDirectory', () => {
    const d = directives(unitText(UNITS[0]!));
    expect(d.get('ExecStart')).toEqual(['/opt/virt-overhead/bin/virt-overhead agent --config /etc/virt-overhead/agent.yaml']);
    // The agent's default --workdir is /var/lib/virt-overhead (spool under it): exactly the
    // StateDirectory, the one place ProtectSystem=strict leaves writable.
    expect(d.get('StateDirectory')).toEqual(['virt-overhead']);
    expect(d.get('WorkingDirectory')).toEqual(['/var/lib/virt-overhead']);
    const c = directives(unitText(UNITS[1]!));
    expect(c.get('ExecStart')).toEqual(['/opt/virt-overhead/bin/virt-overhead collector --config /etc/virt-overhead/collector.yaml']);
    // `systemctl reload` = SIGHUP = the tokens file re-read
    expect(c.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });
});

// The collector's heap cap (docs/install.md "The collector's memory"), as node takes it from each
// install path's environment: the heap limit it sets, not just the text.
const HEAP_CAP_MB = 256;
function heapLimitMb(nodeOptions: string | undefined): number {
  const r = spawnSync(process.execPath, ['-p', 'require("v8").getHeapStatistics().heap_size_limit'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: nodeOptions ?? '' },
  });
  if (r.status !== 0) throw new Error(`node with NODE_OPTIONS=${nodeOptions}: ${r.stderr}`);
  return Number(r.stdout) / 2 ** 20;
}
/** The old space's cap plus the young generation (~48 MB): what V8 reports for the cap. */
const CAPPED = (mb: number) => mb >= HEAP_CAP_MB && mb <= HEAP_CAP_MB + 64;

describe("the collector's heap cap", () => {
  it('the unit sets NODE_OPTIONS, and node run with it caps its heap (the default is gigabytes)', () => {
    const env = (directives(unitText(UNITS[1]!)).get('Environment') ?? []).filter((e) => e.startsWith('NODE_OPTIONS='));
    expect(env).toEqual([`NODE_OPTIONS=--max-old-space-size=${HEAP_CAP_MB}`]);
    expect(CAPPED(heapLimitMb(env[0]!.slice('NODE_OPTIONS='.length)))).toBe(true);
    expect(CAPPED(heapLimitMb(undefined))).toBe(false);
    // The agent's unit has none: its heap is small and a cap would only add a way to fail.
    expect(directives(unitText(UNITS[0]!)).get('Environment') ?? []).not.toContainEqual(expect.stringMatching(/^NODE_OPTIONS=/));
  });

  it("the fleet benchmark starts its collector with the unit's options (it measures the collector as deployed)", () => {
    expect(deployedNodeOptions(REPO)).toEqual([`--max-old-space-size=${HEAP_CAP_MB}`]);
    // A build whose unit sets none (an older commit's tree) runs without.
    expect(deployedNodeOptions(work)).toEqual([]);
  });

  it.skipIf(!HAVE_COMPOSE)('the compose collector gets the same cap', () => {
    const r = run('docker-compose', ['-f', join(REPO, 'deploy/docker-compose.yml'), 'config']);
    expect(r.status, r.stderr).toBe(0);
    const cfg = parseYaml(r.stdout) as { services: Record<string, { environment?: Record<string, string> }> };
    expect(cfg.services.collector!.environment!.NODE_OPTIONS).toBe(`--max-old-space-size=${HEAP_CAP_MB}`);
    expect(CAPPED(heapLimitMb(cfg.services.collector!.environment!.NODE_OPTIONS))).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const file = join(REPO, 'deploy/docker-compose.yml');

  it.skipIf(!HAVE_COMPOSE)('docker-compose config -q accepts it', () => {
    const r = run('docker-compose', ['-f', file, 'config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!HAVE_COMPOSE)('and rejects a broken copy', () => {
    const broken = join(REPO, 'deploy', `.compose-broken-${process.pid}.yml`); // same dir: same relative paths
    writeFileSync(broken, readFileSync(file, 'utf8').replace('    image: influxdb:1.8', '    imag: influxdb:1.8'));
    try {
      const r = run('docker-compose', ['-f', broken, 'config', '-q']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("Unsupported config option for services.influxdb: 'imag'");
    } finally {
      rmSync(broken);
    }
  });

  it.skipIf(!HAVE_COMPOSE)('resolves to InfluxDB 1.8, Grafana with the project provisioning, and the collector image', () => {
    const r = run('docker-compose', ['-f', file, 'config']);
    expect(r.status, r.stderr).toBe(0);
    const cfg = parseYaml(r.stdout) as {
      services: Record<string, { image?: string; build?: { context: string; dockerfile: string }; volumes?: (string | { source: string; target: string })[] }>;
    };
    expect(cfg.services.influxdb!.image).toBe('influxdb:1.8');
    expect(cfg.services.collector!.build).toEqual({ context: REPO, dockerfile: 'deploy/Dockerfile' });
    const mounts = (cfg.services.grafana!.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':').slice(0, 2).join(':') : `${v.source}:${v.target}`));
    expect(mounts).toContain(`${join(REPO, 'grafana/provisioning')}:/etc/grafana/provisioning`);
    expect(mounts).toContain(`${join(REPO, 'grafana/dashboards/json')}:/var/lib/grafana/dashboards`);
    expect(existsSync(join(REPO, 'deploy/Dockerfile'))).toBe(true);
  });

  it.skipIf(!HAVE_COMPOSE)('publishes every port on loopback unless VO_BIND_ADDRESS says otherwise; Grafana admin password from the environment', () => {
    const ports = (env: NodeJS.ProcessEnv) => {
      const r = run('docker-compose', ['-f', file, 'config'], env);
      expect(r.status, r.stderr).toBe(0);
      const cfg = parseYaml(r.stdout) as { services: Record<string, { ports?: string[]; environment?: Record<string, string> }> };
      expect(cfg.services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toBe(env.GRAFANA_ADMIN_PASSWORD ?? 'test-only');
      return Object.values(cfg.services)
        .flatMap((s) => s.ports ?? [])
        .sort();
    };
    expect(ports({})).toEqual(['127.0.0.1:3000:3000/tcp', '127.0.0.1:50051:50051/tcp', '127.0.0.1:8086:8086/tcp']);
    expect(ports({ VO_BIND_ADDRESS: '0.0.0.0', GRAFANA_ADMIN_PASSWORD: 'other' })).toEqual([
      '0.0.0.0:3000:3000/tcp',
      '0.0.0.0:50051:50051/tcp',
      '127.0.0.1:8086:8086/tcp',
    ]);
    const none = run('docker-compose', ['-f', file, 'config', '-q'], { GRAFANA_ADMIN_PASSWORD: '' });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('set GRAFANA_ADMIN_PASSWORD');
  });
});
// The cloud-init sample: test/deploy-cloud-init.test.ts.
