// Enrolment end to end, with real processes only: certificates from `virt-overhead cert`, a
// token from `virt-overhead token add` (its printed install line run by the real installer into
// a fresh root), the real collector over TLS reading the tokens file, the installed agent's run
// stored in a real influxd, then `token revoke` — with no signal: the collector notices the file
// changed while it runs — and the next run refused. Also: `token add --reload` (SIGHUP by pid),
// `health` over TLS, and what a wrong CA and an expired certificate are told. No guest needed
// (the same on real guests: lab/debian-guest.test.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from './support/fixture.js';
import { packageRoot } from '../lib/root.js';
import { onceAgentArgs, runCli } from './support/cli.js';
import { bundleWorkDir, freshRoot } from './support/install-root.js';
import { query, startCollectorProc, stopProc, type CollectorProc } from './support/procs.js';

const fx = influxdFixture('vo-enrol-');
const dir = fx.dir;
const p = (...parts: string[]) => join(dir, ...parts);
const TOKENS = p('tokens.yaml');
let collector: CollectorProc;
let work: string;
const procs: (CollectorProc | undefined)[] = [];

/** The CLI as a process, asynchronously (the collector's answers arrive while it runs). */
const cli = runCli;

async function waitForLog(c: CollectorProc, re: RegExp, ms = 30_000): Promise<string> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const line = c
      .stderr()
      .split('\n')
      .find((l) => re.test(l));
    if (line) return line;
  }
  throw new Error(`no collector log line ${re} in ${ms} ms:\n${c.stderr().slice(-3000)}`);
}

beforeAll(async () => {
  work = bundleWorkDir('vo-enrol-bundle-');
  for (const args of [
    ['cert', 'ca', '--dir', p('pki')],
    ['cert', 'collector', '--dir', p('pki'), '--name', 'localhost', '--name', '127.0.0.1'],
    ['cert', 'ca', '--dir', p('other-pki')],
  ]) {
    const r = await cli(args);
    if (r.code !== 0) throw new Error(`virt-overhead ${args.join(' ')}: ${r.stderr}`);
  }
  // The first agent is enrolled before the collector starts (its --tokens file must exist).
  const first = await cli(['token', 'add', '--tokens', TOKENS, '--agent', 'guest-a', '--group', 'enrol', '--json', '--collector', 'localhost:50051']);
  if (first.code !== 0) throw new Error(first.stderr);
  enrolled.a = JSON.parse(first.stdout) as Added;
  collector = await startCollectorProc([
    '--listen',
    '127.0.0.1:0',
    '--influx',
    fx.influxd.url,
    '--tokens',
    TOKENS,
    '--tls-cert',
    p('pki', 'collector.pem'),
    '--tls-key',
    p('pki', 'collector.key'),
  ]);
  procs.push(collector);
}, 240_000);

afterAll(async () => {
  for (const c of procs) await stopProc(c);
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Added {
  agent: string;
  group: string;
  token: string;
  install: string;
  reload?: string;
}
const enrolled: Record<string, Added> = {};

/** The printed install line, run as printed against a fresh root (plus where to install from and test-root flags). */
function installAsPrinted(root: string, line: string) {
  const words = line.replace(/^sudo sh install-agent\.sh /, '').split(' ');
  return spawnSync(
    'sh',
    [
      join(packageRoot(), 'deploy', 'install-agent.sh'),
      ...words,
      '--from',
      join(work, 'virt-overhead-agent.mjs'),
      '--root',
      root,
      '--skip-sysbench',
      '--no-enable',
    ],
    {
      encoding: 'utf8',
    },
  );
}

/** One run of the installed agent, from the root's files (its config, token and CA), as its unit starts it. */
function runInstalled(root: string, workdir: string) {
  return cli(
    onceAgentArgs({
      collector: `localhost:${collector.port}`,
      tests: 'cpu',
      workdir,
      extra: [
        '--config',
        join(root, 'etc/virt-overhead/agent.yaml'),
        // The installed paths are the guest's (/etc/...): here they live under the root.
        '--token-file',
        join(root, 'etc/virt-overhead/token'),
        '--tls-ca',
        join(root, 'etc/virt-overhead/ca.pem'),
        '--flush-timeout',
        '8s',
      ],
    }),
  );
}

describe('enrolment: token add → install → results → revoke → refused', () => {
  it('the printed install line installs the agent, whose run over TLS is stored; a revoke (no signal) refuses the next run', async () => {
    const a = enrolled.a!;
    expect(a.token).toMatch(/^vo1_[A-Za-z0-9_-]{32}$/);
    expect(a.install).toBe(
      `sudo sh install-agent.sh --collector localhost:50051 --tls-ca /etc/virt-overhead/ca.pem --agent-id guest-a --group enrol --role guest --token ${a.token}`,
    );
    // The tokens file keeps no token.
    expect(readFileSync(TOKENS, 'utf8')).not.toContain(a.token);

    const root = freshRoot(p('root-a'));
    mkdirSync(join(root, 'etc/virt-overhead'), { recursive: true });
    copyFileSync(p('pki', 'ca.pem'), join(root, 'etc/virt-overhead/ca.pem'));
    const inst = installAsPrinted(root, a.install);
    expect(inst.status, inst.stderr).toBe(0);
    expect(readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8')).toMatch(/^agent_id: "guest-a"$/m);

    const run1 = await runInstalled(root, p('work-a'));
    expect(run1.code, run1.stderr.slice(-2000)).toBe(0);
    const stored = await query(fx.influxd.url, `SELECT result_id, role FROM sysbench WHERE agent = 'guest-a' AND "group" = 'enrol'`);
    expect(stored.length).toBe(1);
    expect(stored[0]!.role).toBe('guest');

    // Revoked with no --reload: the collector sees the file change while it runs.
    const revoke = await cli(['token', 'revoke', '--tokens', TOKENS, '--agent', 'guest-a']);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain("revoked 1 token of agent 'guest-a'");
    expect(await waitForLog(collector, /"msg":"tokens reloaded"/)).toContain('"why":"the file changed on disk"');

    const run2 = await runInstalled(root, p('work-a'));
    expect(run2.code).toBe(3); // not acknowledged within --flush-timeout: kept in the spool
    expect(run2.stderr).toMatch(/UNAUTHENTICATED/);
    expect((await query(fx.influxd.url, `SELECT result_id FROM sysbench WHERE agent = 'guest-a'`)).length).toBe(1);
  }, 300_000); // an install and two agent runs (one waits out its 8-s flush): past 120 s at load 20

  it('token add --reload sends SIGHUP to the collector by pid; the new agent is let in at once', async () => {
    const r = await cli(['token', 'add', '--tokens', TOKENS, '--agent', 'guest-b', '--group', 'enrol', '--json', '--reload', '--pid', String(collector.pid)]);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout) as Added;
    expect(b.reload).toBe(`sent SIGHUP to the collector (pid ${collector.pid}): it reloads the tokens file`);
    await waitForLog(collector, /"why":"SIGHUP"/);
    const root = freshRoot(p('root-b'));
    mkdirSync(join(root, 'etc/virt-overhead'), { recursive: true });
    copyFileSync(p('pki', 'ca.pem'), join(root, 'etc/virt-overhead/ca.pem'));
    expect(installAsPrinted(root, b.install).status).toBe(0);
    const run = await runInstalled(root, p('work-b'));
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect((await query(fx.influxd.url, `SELECT result_id FROM sysbench WHERE agent = 'guest-b'`)).length).toBe(1);
  });

  it('a duplicate token add is refused and changes nothing', async () => {
    const before = readFileSync(TOKENS, 'utf8');
    const r = await cli(['token', 'add', '--tokens', TOKENS, '--agent', 'guest-b', '--group', 'other']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("agent 'guest-b' already has a token");
    expect(r.stderr).toContain('virt-overhead token revoke --agent guest-b');
    expect(readFileSync(TOKENS, 'utf8')).toBe(before);
  });
});

describe('health over TLS, and a wrong or expired certificate', () => {
  it("health speaks TLS with the agent's options: SERVING with the right CA; the wrong CA is named as such", async () => {
    const ok = await cli(['health', '--collector', `localhost:${collector.port}`, '--tls-ca', p('pki', 'ca.pem')]);
    expect([ok.code, ok.stdout.trim()]).toEqual([0, 'SERVING']);
    const wrong = await cli(['health', '--collector', `localhost:${collector.port}`, '--tls-ca', p('other-pki', 'ca.pem')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`the collector's certificate is not signed by --tls-ca ${p('other-pki', 'ca.pem')}`);
    // Plain text to a TLS port: the client cannot tell it from a dead port, but health says it failed.
    const plain = await cli(['health', '--collector', `localhost:${collector.port}`]);
    expect(plain.code).toBe(1);
  });

  it('an expired collector certificate: health and the agent both say it expired', async () => {
    // Made by hand with openssl (`cert` refuses --days below 1): valid until yesterday.
    const ext = p('pki', 'expired.ext');
    spawnSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > ${ext}`]);
    for (const args of [
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        p('pki', 'expired.key'),
        '-out',
        p('pki', 'expired.csr'),
        '-subj',
        '/CN=localhost',
      ],
      [
        'x509',
        '-req',
        '-in',
        p('pki', 'expired.csr'),
        '-CA',
        p('pki', 'ca.pem'),
        '-CAkey',
        p('pki', 'ca.key'),
        '-set_serial',
        '7',
        '-days',
        '-1',
        '-out',
        p('pki', 'expired.pem'),
        '-extfile',
        ext,
      ],
    ]) {
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    const old = await startCollectorProc([
      '--listen',
      '127.0.0.1:0',
      '--influx',
      fx.influxd.url,
      '--tls-cert',
      p('pki', 'expired.pem'),
      '--tls-key',
      p('pki', 'expired.key'),
    ]);
    procs.push(old);
    const h = await cli(['health', '--collector', `localhost:${old.port}`, '--tls-ca', p('pki', 'ca.pem')]);
    expect(h.code).toBe(1);
    expect(h.stderr).toContain('certificate has expired');
    expect(h.stderr).toContain("the collector's certificate (or its CA) has expired: renew it");
    const agent = await cli(
      onceAgentArgs({
        collector: `localhost:${old.port}`,
        tests: 'mutex',
        workdir: p('work-expired'),
        extra: ['--tls-ca', p('pki', 'ca.pem'), '--flush-timeout', '5s'],
      }),
    );
    expect(agent.code).toBe(3);
    expect(agent.stderr).toContain("the collector's certificate (or its CA) has expired");
    await stopProc(old);
  }, 300_000); // openssl twice, a collector start, health and an agent run that waits out its 5-s flush: past 120 s at load 25
});
