// Secrets of the collector: the InfluxDB password comes from a file (a systemd credential in the
// installed unit) and appears in no log line, no message and no process list. Real influxd
// with authentication on, the real collector and agent as processes.
import { readFileSync, writeFileSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../collector/influx/influxd.js';
import { onceAgentArgs, runCli, startCli, type CliResult } from './support/cli.js';

// Characters that need percent-encoding in a URL, so the encoding is exercised too.
const PASSWORD = 's3cr:t@p/ss w%rd';
const dir = mkdtempSync(join(tmpdir(), 'vo-secrets-'));
const pwFile = join(dir, 'influx-password');
let influxd: InfluxdHandle;

async function influxQuery(q: string, auth = true): Promise<Response> {
  const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } : {};
  return fetch(`${influxd.url}/query?q=${encodeURIComponent(q)}&db=vo_secrets`, { method: 'POST', headers });
}

/** Starts the collector, waits for its address, returns it with what it printed once stopped. */
async function startCollector(args: string[]): Promise<{ address: string; pid: number; stop: () => Promise<CliResult> }> {
  const { child, done } = startCli(['collector', '--listen', '127.0.0.1:0', '--database', 'vo_secrets', '--log-level', 'debug', ...args]);
  let out = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void done.then((r) => reject(new Error(`collector exited ${r.code}: ${r.stderr}`)));
  });
  return {
    address,
    pid: child.pid!,
    stop: async () => {
      process.kill(child.pid!, 'SIGTERM');
      return done;
    },
  };
}

beforeAll(async () => {
  influxd = await startInfluxd({ dir: join(dir, 'influx'), authEnabled: true });
  // The first admin may be created without credentials; everything after needs them.
  const create = await fetch(`${influxd.url}/query?q=${encodeURIComponent(`CREATE USER admin WITH PASSWORD '${PASSWORD}' WITH ALL PRIVILEGES`)}`, {
    method: 'POST',
  });
  expect(create.status).toBe(200);
  expect((await influxQuery('SHOW DATABASES', false)).status).toBe(401);
  writeFileSync(pwFile, PASSWORD + '\n', { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await influxd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('collector: InfluxDB password from a file', () => {
  it('writes with it, and it appears in no log line and not in the process list', async () => {
    const c = await startCollector(['--influx', influxd.url, '--influx-username', 'admin', '--influx-password-file', pwFile]);
    const cmdline = readFileSync(`/proc/${c.pid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${c.pid}/environ`, 'utf8');
    const agent = await runCli(
      onceAgentArgs({ collector: c.address, profile: 'quick', tests: 'mutex', trials: 1, agentId: 'sec-agent', group: 'sec', workdir: join(dir, 'agent') }),
    );
    const r = await c.stop();
    expect(agent.code, agent.stderr).toBe(0);
    for (const text of [cmdline, environ, r.stdout, r.stderr, agent.stdout, agent.stderr]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
    expect(r.stderr).toContain(`"influx":"http://admin:***@127.0.0.1:${influxd.port}"`);
    const rows = (await (await influxQuery(`SELECT count(ok) FROM sysbench WHERE agent = 'sec-agent'`)).json()) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    expect(rows.results[0]!.series![0]!.values[0]![1]).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('a password in --influx works but is warned about and never logged', async () => {
    const url = influxd.url.replace('://', `://admin:${encodeURIComponent(PASSWORD)}@`);
    const c = await startCollector(['--influx', url]);
    const r = await c.stop();
    expect(r.stderr).toMatch(/visible to every user in the process list: use --influx-username and --influx-password-file/);
    expect(r.stderr).not.toContain(encodeURIComponent(PASSWORD));
    expect(r.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it('a wrong password: the message names the URL without any password', async () => {
    const wrong = join(dir, 'wrong');
    writeFileSync(wrong, 'not-it', { mode: 0o600 });
    const c = await startCollector(['--influx', influxd.url, '--influx-username', 'admin', '--influx-password-file', wrong]).catch((e: Error) => e);
    expect(c).toBeInstanceOf(Error); // InfluxDB refused CREATE DATABASE: the collector stops
    const text = (c as Error).message;
    expect(text).toMatch(/authorization failed/);
    expect(text).not.toContain('not-it');
  }, 60_000);

  it('bad input: username without file, file without username, empty or missing file; a file others can read is warned about', async () => {
    const a = await runCli(['collector', '--influx', influxd.url, '--influx-username', 'admin']);
    expect([a.code, a.stderr]).toEqual([2, expect.stringMatching(/--influx-username needs --influx-password-file/)]);
    const b = await runCli(['collector', '--influx', influxd.url, '--influx-password-file', pwFile]);
    expect([b.code, b.stderr]).toEqual([2, expect.stringMatching(/--influx-password-file needs --influx-username/)]);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const e = await runCli(['collector', '--influx', influxd.url, '--influx-username', 'admin', '--influx-password-file', empty]);
    expect([e.code, e.stderr]).toEqual([2, expect.stringMatching(/--influx-password-file .*empty is empty/)]);
    const m = await runCli(['collector', '--influx', influxd.url, '--influx-username', 'admin', '--influx-password-file', join(dir, 'nope')]);
    expect([m.code, m.stderr]).toEqual([2, expect.stringMatching(/cannot read --influx-password-file .*nope/)]);
    const open = join(dir, 'open-password');
    writeFileSync(open, PASSWORD);
    chmodSync(open, 0o644);
    const c = await startCollector(['--influx', influxd.url, '--influx-username', 'admin', '--influx-password-file', open]);
    const r = await c.stop();
    expect(r.stderr).toMatch(/open-password: mode 0644 lets other users read it \(chmod 600\)/);
  }, 60_000);

  // Issue 23 item 8: every command redacts credentials in every message (cli/main.ts and cli/log.ts
  // through lib/secret-file.ts redactSecrets), not only where a message was written with care.
  it('report (table, --changes, --compare) prints no password from --influx in any message: wrong password, InfluxDB down, a URL it cannot read', async () => {
    const secret = 'hunter2-Zq9';
    const urls = [
      influxd.url.replace('://', `://admin:${secret}@`), // InfluxDB refuses it
      `http://admin:${secret}@127.0.0.1:1`, // nothing listens there
      `http://admin:${secret}@[::1`, // not a URL
      `${influxd.url}/?u=admin&p=${secret}`, // InfluxDB 1.x's query form
    ];
    const modes = [[], ['--changes'], ['--compare', 'a,b', '--group', 'g'], ['--json']];
    for (const url of urls)
      for (const mode of modes) {
        const r = await runCli(['report', '--influx', url, '--database', 'vo_secrets', ...mode]);
        expect(r.code, `${url} ${mode.join(' ')}: ${r.stderr}`).not.toBe(0);
        expect(r.stderr + r.stdout, `${url} ${mode.join(' ')}`).not.toContain(secret);
      }
  }, 120_000);
});
