// A real Debian 12 guest, end to end: the image built with mmdebstrap (or taken from the
// cache), booted by QEMU with systemd as PID 1; on its first boot the agent is installed
// exactly as docs/install.md says (single-file bundle + deploy/install-agent.sh, the token as a
// systemd credential), runs from its installed unit under systemd, and its results reach the
// collector (with a token table) tagged as a guest. KVM is tried first (the lab's probe), TCG
// otherwise. Slow (minutes): runs only with VIRT_OVERHEAD_SLOW=1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxClient } from '../collector/index.js';
import { loadTokens } from '../collector/server/tokens.js';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { packageRoot } from '../lib/root.js';
import { bundleWorkDir } from '../test/support/install-root.js';
import { createDebianGuest } from './debian-guest.js';
import { probeKvm } from './kvm-probe.js';
import type { Accel } from './qemu-args.js';

const SLOW = process.env.VIRT_OVERHEAD_SLOW === '1';
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['qemu-system-x86_64', 'mke2fs', 'mmdebstrap'].filter((t) => !have(t));
const skip = !SLOW ? 'set VIRT_OVERHEAD_SLOW=1 (boots a real Debian guest: minutes)' : missing.length ? `missing ${missing.join(', ')}` : null;
if (skip) console.warn(`lab/debian-guest.test.ts skipped: ${skip}`);

const TOKEN = 'e2e-guest-token-0123456789abcdef';
const HOST = 'vo-debian-e2e';
const GROUP = `debian-e2e-${process.pid}`;
let dir: string;
let work: string;
let stack: LocalStack;
const say = (l: string) => process.stderr.write(`[debian-guest] ${l}\n`);

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vo-debian-e2e-'));
  const tokens = join(dir, 'tokens.yaml');
  // One token per test group (a token binds agent and group).
  writeFileSync(tokens, ['wait', 'cut'].map((m) => `- token: "${TOKEN}-${m}"\n  agent: ${HOST}\n  group: ${GROUP}-${m}\n`).join(''), { mode: 0o600 });
  stack = await startLocalStack({ dataDir: join(dir, 'influx'), tokens: loadTokens(tokens) });
  work = bundleWorkDir('vo-debian-bundle-');
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

const unit = (description: string, script: string, extra: string) =>
  `[Unit]\nDescription=${description}\nWants=network-online.target\nAfter=network-online.target systemd-networkd.service\n${extra}\n` +
  `[Service]\nType=oneshot\nStandardOutput=journal+console\nStandardError=journal+console\nExecStart=/bin/sh ${script}\n\n[Install]\nWantedBy=multi-user.target\n`;

/** The guest: Node.js, the bundle, the installer and its units, the token, the boot scripts. */
function guestSetup(accel: Accel, mode: 'wait' | 'cut'): Parameters<typeof createDebianGuest>[0] {
  const deploy = join(packageRoot(), 'deploy');
  const scripts = join(packageRoot(), 'lab/debian-guest');
  return {
    accel,
    vcpus: 2,
    memoryMiB: 1536,
    diskMiB: 1536,
    hostname: HOST,
    collectorPort: Number(stack.collectorAddress.split(':').pop()),
    log: say,
    files: [
      // Node.js the offline way docs/install.md gives (Debian 12's own nodejs is 18).
      { path: '/usr/local/bin/node', from: process.execPath, mode: 0o755 },
      { path: '/root/vo/virt-overhead-agent.mjs', from: join(work, 'virt-overhead-agent.mjs') },
      { path: '/root/vo/install-agent.sh', from: join(deploy, 'install-agent.sh'), mode: 0o755 },
      { path: '/root/vo/systemd/virt-overhead-agent.service', from: join(deploy, 'systemd/virt-overhead-agent.service') },
      { path: '/root/vo/systemd/virt-overhead-agent.timer', from: join(deploy, 'systemd/virt-overhead-agent.timer') },
      { path: '/root/vo/firstboot.sh', from: join(scripts, 'firstboot.sh'), mode: 0o755 },
      { path: '/root/vo/nextboot.sh', from: join(scripts, 'nextboot.sh'), mode: 0o755 },
      { path: '/root/vo/firstboot.env', content: `GROUP=${GROUP}-${mode}\nVARIANT=debian12-${accel}\nTESTS='cpu, mutex'\nTRIALS=1\nMODE=${mode}\n` },
      { path: '/etc/virt-overhead/token', content: `${TOKEN}-${mode}\n`, mode: 0o600 },
      {
        path: '/etc/systemd/system/vo-firstboot.service',
        content: unit(
          'virt-overhead lab: install and run the agent on first boot',
          '/root/vo/firstboot.sh',
          'ConditionPathExists=!/var/lib/vo-firstboot.done\n',
        ),
      },
      {
        path: '/etc/systemd/system/vo-nextboot.service',
        content: unit(
          'virt-overhead lab: run the installed agent again',
          '/root/vo/nextboot.sh',
          'ConditionPathExists=/var/lib/vo-firstboot.done\nAfter=vo-firstboot.service\n',
        ),
      },
    ],
    enable: mode === 'wait' ? ['vo-firstboot.service'] : ['vo-firstboot.service', 'vo-nextboot.service'],
  };
}

type Row = Record<string, unknown>;
const rowsOf = async (group: string): Promise<Row[]> =>
  (await influxClient(stack.influxUrl, stack.database).query(`SELECT * FROM sysbench WHERE "group" = '${group}'`)) as unknown as Row[];

describe.skipIf(skip !== null)('real Debian 12 guest with systemd', () => {
  it(
    'first boot: installed per docs/install.md, run by its unit, results in InfluxDB tagged guest',
    async () => {
      const t0 = Date.now();
      const kvm = existsSync('/dev/kvm') ? await probeKvm({}) : { ranGuest: false, detail: 'no /dev/kvm' };
      const accel: Accel = kvm.ranGuest ? 'kvm' : 'tcg';
      say(`KVM probe: ${kvm.detail} -> ${accel}`);
      const guest = createDebianGuest(guestSetup(accel, 'wait'));
      try {
        say(`image ready after ${Math.round((Date.now() - t0) / 1000)} s; booting`);
        const boot = guest.boot({
          timeoutMs: 20 * 60_000,
          onConsole: (l) => (/VO_E2E|Reached target.*Multi-User|Kernel panic/.test(l) ? say(`  | ${l}`) : undefined),
        });
        const r = await boot.done;
        // The whole console, for the record (the issue asks for this log).
        writeFileSync(join(packageRoot(), '.data', 'lab', 'debian-e2e-console.log'), r.console);
        say(
          `guest powered off after ${Math.round(r.durationMs / 1000)} s (exit ${r.code} ${r.signal ?? ''}); whole test so far ${Math.round((Date.now() - t0) / 1000)} s`,
        );
        const text = r.console.replace(/\r/g, '');
        expect(r.code, text.slice(-3000)).toBe(0);
        expect(text).toContain('VO_E2E pid1: /usr/lib/systemd/systemd');
        expect(text).toContain('VO_E2E network: 10.0.2.15/24');
        expect(text).toContain('VO_E2E install exit 0');
        expect(text).toContain('VO_E2E timer: enabled active');
        expect(text).toMatch(/VO_E2E unit exit 0 result=success user=yes/);
        expect(text).toContain('VO_E2E resident agents after the run: 0');
        expect(text).toContain('VO_E2E DONE');

        const rows = await rowsOf(`${GROUP}-wait`);
        say(`InfluxDB: ${rows.length} results: ${JSON.stringify(rows.map((p) => [p.agent, p.role, p.virt, p.test, p.trial, p.ok]))}`);
        expect(new Set(rows.map((p) => p.agent))).toEqual(new Set([HOST]));
        expect(new Set(rows.map((p) => p.role))).toEqual(new Set(['guest']));
        expect(new Set(rows.map((p) => p.test))).toEqual(new Set(['cpu', 'mutex']));
        expect(rows.every((p) => p.ok === true)).toBe(true);
        expect(new Set(rows.map((p) => p.virt))).not.toContain('none');
      } finally {
        guest.dispose();
      }
    },
    30 * 60_000,
  );

  it(
    'power cut (QEMU killed) while the agent runs and sends: after the next boot every result is there exactly once',
    async () => {
      const group = `${GROUP}-cut`;
      const guest = createDebianGuest(guestSetup('tcg', 'cut'));
      try {
        // Boot 1: cut the power as soon as the first result of the run reached InfluxDB (the run
        // is then mid-way: more trials and tests to come, some spooled and not yet acknowledged).
        const b1 = guest.boot({ timeoutMs: 20 * 60_000, onConsole: (l) => (/VO_E2E (unit started|install exit)/.test(l) ? say(`  | ${l}`) : undefined) });
        let cutAfter = 0;
        const poll = setInterval(() => {
          void rowsOf(group).then((rows) => {
            if (rows.length > 0 && !cutAfter) {
              cutAfter = rows.length;
              b1.cut();
            }
          });
        }, 250);
        const r1 = await b1.done.finally(() => clearInterval(poll));
        const atCut = await rowsOf(group);
        say(`boot 1: power cut after ${Math.round(r1.durationMs / 1000)} s with ${atCut.length} results in InfluxDB (signal ${r1.signal})`);
        expect(cutAfter, r1.console.slice(-3000)).toBeGreaterThan(0);
        expect(r1.signal).toBe('SIGKILL');

        // Boot 2: the same disk; the installed unit runs again and sends what the spool kept first.
        const b2 = guest.boot({ timeoutMs: 20 * 60_000, onConsole: (l) => (/VO_E2E (next boot|unit exit|DONE)/.test(l) ? say(`  | ${l}`) : undefined) });
        const r2 = await b2.done;
        writeFileSync(join(packageRoot(), '.data', 'lab', 'debian-e2e-powercut-console.log'), r1.console + '\n===== boot 2 =====\n' + r2.console);
        const text = r2.console.replace(/\r/g, '');
        expect(text).toMatch(/VO_E2E unit exit 0 result=success/);
        const after = await rowsOf(group);
        const key = (p: Row) => `${String(p.run_id)}/${String(p.test)}/${String(p.trial)}`;
        const runs = [...new Set(after.map((p) => String(p.run_id)))];
        const firstRun = atCut.map((p) => String(p.run_id))[0]!;
        const counts = new Map<string, number>();
        for (const p of after) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
        say(
          `boot 2: ${after.length} results in ${runs.length} runs; run ${firstRun} (cut): ${after.filter((p) => p.run_id === firstRun).length} results (${atCut.length} at the cut); duplicates: ${[...counts.values()].filter((n) => n > 1).length}`,
        );
        // Exactly once: no (run, test, trial) twice; nothing that had arrived before the cut lost.
        expect([...counts.values()].every((n) => n === 1)).toBe(true);
        for (const p of atCut) expect(counts.get(key(p))).toBe(1);
        // The interrupted run and the complete run of the next boot.
        expect(runs.length).toBe(2);
        const second = after.filter((p) => p.run_id !== firstRun);
        expect(new Set(second.map((p) => p.test))).toEqual(new Set(['cpu', 'mutex']));
      } finally {
        guest.dispose();
      }
    },
    45 * 60_000,
  );
});
