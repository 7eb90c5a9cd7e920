// A real Debian 12 guest, end to end: the image built with mmdebstrap (or taken from the
// cache), booted by QEMU with systemd as PID 1; on its first boot the agent is installed
// exactly as docs/install.md says (single-file bundle + deploy/install-agent.sh, the token as a
// systemd credential), runs from its installed unit under systemd, and its results reach the
// collector (with a token table) tagged as a guest. KVM is tried first (the lab's probe), TCG
// otherwise. The second case is the faults an operator meets (issue 15 item 4 and its bad input):
// a power cut while results are sent and not yet acknowledged, an upgrade in place, a restart
// mid-run, a collector address that does not resolve, a full disk, --uninstall.
// Slow (minutes): runs only with VIRT_OVERHEAD_SLOW=1.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { loadTokens } from '../collector/server/tokens.js';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { packageRoot } from '../lib/root.js';
import { measurementRef } from '../schema/retention.js';
import { agentFilesDir, bundleWorkDir } from '../test/support/install-root.js';
import { startCollectorProc, stopProc, type CollectorProc } from '../test/support/procs.js';
import { AGENT_VERSION } from '../lib/version.js';
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
let tokens: string;
let stack: LocalStack;
const say = (l: string) => process.stderr.write(`[debian-guest] ${l}\n`);

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vo-debian-e2e-'));
  tokens = join(dir, 'tokens.yaml');
  // One token per test group (a token binds agent and group).
  writeFileSync(tokens, ['wait', 'cut'].map((m) => `- token: "${TOKEN}-${m}"\n  agent: ${HOST}\n  group: ${GROUP}-${m}\n`).join(''), { mode: 0o600 });
  stack = await startLocalStack({ dataDir: join(dir, 'influx'), tokens: loadTokens(tokens) });
  work = bundleWorkDir('vo-debian-bundle-');
  newerBundle(join(work, 'new', 'virt-overhead-agent.mjs'), NEW_VERSION);
}, 300_000);

/** The version the upgrade installs. */
const NEW_VERSION = `${AGENT_VERSION}-upgrade.1`;
/** The next release's bundle: deploy/bundle.sh --version stamps `version` into it (its banner's package.json). */
function newerBundle(to: string, version: string): void {
  const rel = agentFilesDir('vo-debian-newer-', { arches: ['none'], version });
  mkdirSync(join(to, '..'), { recursive: true });
  copyFileSync(join(rel, `virt-overhead-agent-${version}.mjs`), to);
  chmodSync(to, 0o755);
  rmSync(rel, { recursive: true, force: true });
}

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

const unit = (description: string, script: string, extra: string) =>
  `[Unit]\nDescription=${description}\nWants=network-online.target\nAfter=network-online.target systemd-networkd.service\n${extra}\n` +
  `[Service]\nType=oneshot\nStandardOutput=journal+console\nStandardError=journal+console\nExecStart=/bin/sh ${script}\n\n[Install]\nWantedBy=multi-user.target\n`;

/** The guest: Node.js, the bundle, the installer and its units, the token, the boot scripts. */
function guestSetup(accel: Accel, mode: 'wait' | 'cut', collectorPort: number): Parameters<typeof createDebianGuest>[0] {
  const deploy = join(packageRoot(), 'deploy');
  const scripts = join(packageRoot(), 'lab/debian-guest');
  return {
    accel,
    vcpus: 2,
    memoryMiB: 1536,
    diskMiB: 1536,
    hostname: HOST,
    collectorPort,
    log: say,
    files: [
      // Node.js the offline way docs/install.md gives (Debian 12's own nodejs is 18).
      { path: '/usr/local/bin/node', from: process.execPath, mode: 0o755 },
      { path: '/root/vo/virt-overhead-agent.mjs', from: join(work, 'virt-overhead-agent.mjs') },
      { path: '/root/vo/install-agent.sh', from: join(deploy, 'install-agent.sh'), mode: 0o755 },
      { path: '/root/vo/systemd/virt-overhead-agent.service', from: join(deploy, 'systemd/virt-overhead-agent.service') },
      { path: '/root/vo/systemd/virt-overhead-agent.timer', from: join(deploy, 'systemd/virt-overhead-agent.timer') },
      { path: '/root/vo/new/virt-overhead-agent.mjs', from: join(work, 'new', 'virt-overhead-agent.mjs') },
      { path: '/root/vo/common.sh', from: join(scripts, 'common.sh') },
      { path: '/root/vo/firstboot.sh', from: join(scripts, 'firstboot.sh'), mode: 0o755 },
      { path: '/root/vo/faults.sh', from: join(scripts, 'faults.sh'), mode: 0o755 },
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
          'virt-overhead lab: faults on the installed agent (upgrade, restart, bad input, uninstall)',
          '/root/vo/faults.sh',
          'ConditionPathExists=/var/lib/vo-firstboot.done\nAfter=vo-firstboot.service\n',
        ),
      },
    ],
    enable: mode === 'wait' ? ['vo-firstboot.service'] : ['vo-firstboot.service', 'vo-nextboot.service'],
  };
}

type Row = Record<string, unknown>;

/**
 * Paths the guest's own system writes between the two listings (not the installer's), allowed
 * after --uninstall: systemd's state, Debian's daily dpkg-db-backup.timer (/var/backups, run at
 * the second boot since it is Persistent) and the lab's first-boot marker.
 */
const SYSTEM_STATE = /^\/var\/(lib\/vo-firstboot\.done|lib\/systemd(\/.*)?|backups(\/.*)?)$/;

/** Bytes waiting unread in the collector's accepted connections (the Recv-Q `ss` shows). */
function unreadBytes(port: number): number {
  // Any state: a connection whose guest side is gone (CLOSE-WAIT) still holds what it was sent.
  const r = spawnSync('ss', ['-tnH', `( sport = :${port} )`], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[1]), 0);
}
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
      const guest = createDebianGuest(guestSetup(accel, 'wait', Number(stack.collectorAddress.split(':').pop())));
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
    'faults: power cut during a send, upgrade in place, restart mid-run, unresolvable collector, full disk, uninstall',
    async () => {
      const group = `${GROUP}-cut`;
      // A collector process of its own, so that the test can stop it (SIGSTOP): what the agent
      // sends while it is stopped reaches this machine's socket but is never acknowledged.
      let collector: CollectorProc | undefined = await startCollectorProc([
        '--listen',
        '127.0.0.1:0',
        '--influx',
        stack.influxUrl,
        '--database',
        stack.database,
        '--tokens',
        tokens,
      ]);
      const guest = createDebianGuest(guestSetup('tcg', 'cut', collector.port));
      try {
        // Boot 1: install, start the unit; the moment the agent says it is connected (before its
        // first result: a test takes seconds) stop the collector (SIGSTOP). When the agent says
        // its suite finished (everything measured and sent, nothing acknowledged) freeze the
        // guest (SIGSTOP to QEMU: it can neither answer nor reset the connection), let the
        // collector go on until it has stored the run's results (its acks wait in the frozen
        // guest's relay), then cut the power. Sent, stored, never acknowledged: the worst case.
        let stopped = -1;
        let cutResults = -1;
        let ended = false;
        const b1 = guest.boot({
          timeoutMs: 20 * 60_000,
          onConsole: (l) => {
            if (/VO_E2E (unit started|install exit)/.test(l)) say(`  | ${l}`);
            if (/VO_E2E journal: .*"msg":"connected to collector"/.test(l) && stopped < 0) {
              collector!.signal('SIGSTOP');
              stopped = 0;
              void rowsOf(group).then((rows) => (stopped = rows.length));
            }
            const fin = /VO_E2E journal: (\{.*"msg":"suite finished".*\})/.exec(l);
            if (fin) cutResults = Number((JSON.parse(fin[1]!) as Row).results);
          },
        });
        void b1.done.then(() => (ended = true));
        const until = async (cond: () => boolean | Promise<boolean>, ms: number) => {
          for (const end = Date.now() + ms; Date.now() < end && !ended; await new Promise((r) => setTimeout(r, 250))) if (await cond()) return true;
          return false;
        };
        await until(() => stopped >= 0 && cutResults >= 0, 20 * 60_000);
        const unread = unreadBytes(collector.port);
        process.kill(await b1.pid, 'SIGSTOP');
        collector.signal('SIGCONT');
        await until(async () => (await rowsOf(group)).length >= stopped + cutResults, 120_000);
        const storedAtCut = (await rowsOf(group)).length;
        b1.cut();
        const r1 = await b1.done;
        say(
          `boot 1: collector stopped with ${stopped} results stored; the run's ${cutResults} results sent, ${unread} bytes unread by the stopped collector; ` +
            `guest frozen, collector resumed: ${storedAtCut} results stored, none acknowledged; power cut after ${Math.round(r1.durationMs / 1000)} s (signal ${r1.signal})`,
        );
        expect(stopped, r1.console.slice(-3000)).toBeGreaterThanOrEqual(0);
        expect(cutResults).toBeGreaterThan(0);
        expect(r1.signal).toBe('SIGKILL');
        expect(unread).toBeGreaterThan(0);
        expect(storedAtCut).toBe(stopped + cutResults);

        // Boot 2: the same disk; faults.sh runs its steps on the installed unit.
        const b2 = guest.boot({ timeoutMs: 40 * 60_000, onConsole: (l) => (/VO_E2E (step|[a-z-]+: unit exit|DONE)/.test(l) ? say(`  | ${l}`) : undefined) });
        const r2 = await b2.done;
        const logFile = join(packageRoot(), '.data', 'lab', 'debian-e2e-faults-console.log');
        writeFileSync(logFile, r1.console + '\n===== boot 2 =====\n' + r2.console);
        const text = r2.console.replace(/\r/g, '');
        const c1 = r1.console.replace(/\r/g, '');
        expect(text, text.slice(-4000)).toContain('VO_E2E DONE');
        const marker = (re: RegExp) => re.exec(text)?.slice(1) ?? [];

        // The unit's log lines per step (boot 1's are the step `cut`).
        const logs = new Map<string, Row[]>();
        for (const [, step, json] of (c1 + '\n' + text).matchAll(/VO_E2E journal ?([a-z-]*): (\{.*\})$/gm)) {
          const k = step || 'cut';
          logs.set(k, [...(logs.get(k) ?? []), JSON.parse(json!) as Row]);
        }
        const msgs = (step: string, msg: string) => (logs.get(step) ?? []).filter((o) => o.msg === msg);
        const tallies = (step: string) => (logs.get(step) ?? []).filter((o) => String(o.msg).startsWith('agent exiting'));

        // Upgrade in place: new version, config and spool untouched, the spool replayed by the new agent.
        expect(marker(/VO_E2E upgrade: install exit (\d+)/)).toEqual(['0']);
        expect(marker(/VO_E2E upgrade: version before: virt-overhead (\S+)/)).toEqual([AGENT_VERSION]);
        expect(marker(/VO_E2E upgrade: version after: virt-overhead (\S+)/)).toEqual([NEW_VERSION]);
        expect(marker(/VO_E2E upgrade: config kept: (\S+)/)).toEqual(['yes']);
        expect(marker(/VO_E2E upgrade: spool kept: (\S+)/)).toEqual(['yes']);
        expect(marker(/VO_E2E upgrade: unit exit (\d+) result=(\S+) status=(\d+)/)).toEqual(['0', 'success', '0']);
        const replayed = Number(tallies('upgrade')[0]?.replayed);
        expect(replayed).toBeGreaterThan(0);
        // Restart mid-run: the stopped run ends cleanly (SIGTERM: exit 0), the new one runs whole.
        expect(marker(/VO_E2E restart: unit exit (\d+) result=(\S+)/)).toEqual(['0', 'success']);
        expect(msgs('restart', 'suite finished').map((o) => o.ok)).toEqual([false, true]);
        // Unresolvable collector: a warning at install, the run's results kept, status 3, then sent.
        expect(text).toMatch(/warning: --collector collector\.invalid:50051: 'collector\.invalid' does not resolve/);
        expect(marker(/VO_E2E nodns: unit exit \d+ result=(\S+) status=(\d+)/)).toEqual(['exit-code', '3']);
        const nodnsTally = tallies('nodns')[0]!;
        expect([nodnsTally.delivered, nodnsTally.lost, nodnsTally.spooled]).toEqual([0, 0, nodnsTally.measured]);
        expect(marker(/VO_E2E nodns: fixed, install exit (\d+) edits kept: (\d+)/)).toEqual(['0', '3']);
        expect(marker(/VO_E2E nodns-fixed: unit exit (\d+) result=(\S+)/)).toEqual(['0', 'success']);
        expect(tallies('nodns-fixed')[0]!.replayed).toBe(nodnsTally.measured);
        // Full disk: the suite stops, what was measured is sent from memory; nothing lost.
        expect(marker(/VO_E2E fulldisk: unit exit \d+ result=(\S+) status=(\d+)/)).toEqual(['exit-code', '1']);
        const fullTally = tallies('fulldisk')[0]!;
        expect(fullTally.spoolError).toBe('ENOSPC');
        expect(fullTally.lost).toBe(0);
        expect(fullTally.delivered).toBe(fullTally.measured);

        // Every run any step produced: its results in InfluxDB exactly as many as its log says,
        // each once; no run InfluxDB has that no log announced.
        const rows = await rowsOf(group);
        const samples = (await influxClient(stack.influxUrl, stack.database).query(
          `SELECT sample_id, run_id FROM ${measurementRef('sysbench_interval')} WHERE "group" = '${group}'`,
        )) as unknown as Row[];
        const finishedRuns = [...logs.values()].flat().filter((o) => o.msg === 'suite finished');
        const byRun = (list: Row[]) => {
          const m = new Map<string, number>();
          for (const p of list) m.set(String(p.run_id), (m.get(String(p.run_id)) ?? 0) + 1);
          return m;
        };
        const stored = byRun(rows);
        const storedSamples = byRun(samples);
        const table = finishedRuns.map((o) => ({
          run: String(o.run),
          results: Number(o.results),
          stored: stored.get(String(o.run)) ?? 0,
          samples: Number(o.samples),
          storedSamples: storedSamples.get(String(o.run)) ?? 0,
        }));
        say(`runs (produced vs stored): ${JSON.stringify(table)}`);
        say(
          `tallies: ${JSON.stringify([...logs.entries()].map(([k, v]) => [k, v.filter((o) => String(o.msg).startsWith('agent exiting')).map((o) => o.msg)]))}`,
        );
        expect(new Set(rows.map((p) => String(p.result_id))).size).toBe(rows.length);
        expect(new Set(samples.map((p) => String(p.sample_id))).size).toBe(samples.length);
        for (const t of table) expect([t.run, t.stored, t.storedSamples]).toEqual([t.run, t.results, t.samples]);
        // (A run may have samples and no result: the full disk stops it within its first test.)
        expect(new Set(stored.keys())).toEqual(new Set(table.filter((t) => t.results > 0).map((t) => t.run)));
        expect([...storedSamples.keys()].filter((r) => !table.some((t) => t.run === r))).toEqual([]);
        // The run cut in boot 1 is among them, whole: what the stopped collector never acked was resent.
        const cutRun = String(msgs('cut', 'suite finished')[0]?.run);
        expect(stored.get(cutRun)).toBe(Number(msgs('cut', 'suite finished')[0]?.results));
        expect(stored.get(cutRun)).toBeGreaterThan(stopped);

        // agent_info: the version changed at the upgrade, and the collector noticed.
        const info = (await influxClient(stack.influxUrl, stack.database).query(
          `SELECT agent_version, changed FROM agent_info WHERE "group" = '${group}'`,
        )) as unknown as Row[];
        expect(new Set(info.map((p) => p.agent_version))).toEqual(new Set([AGENT_VERSION, NEW_VERSION]));
        expect(info.some((p) => String(p.changed ?? '').includes('agent_version'))).toBe(true);

        // --uninstall: nothing the installer made is left; nothing that was there before is gone.
        expect(marker(/VO_E2E uninstall: exit (\d+)/)).toEqual(['0']);
        const left = [...text.matchAll(/VO_E2E uninstall: left (.*)$/gm)].map((m) => m[1]!);
        const gone = [...text.matchAll(/VO_E2E uninstall: gone (.*)$/gm)].map((m) => m[1]!);
        say(`uninstall: left ${JSON.stringify(left)}, gone ${JSON.stringify(gone)}`);
        expect(gone).toEqual([]);
        expect(left.filter((p) => !SYSTEM_STATE.test(p))).toEqual([]);
        expect(marker(/VO_E2E uninstall: units known to systemd: (\d+)/)).toEqual(['0']);
      } finally {
        guest.dispose();
        if (collector) collector.signal('SIGCONT');
        await stopProc(collector);
        collector = undefined;
      }
    },
    60 * 60_000,
  );
});
