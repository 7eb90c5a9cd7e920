// Secrets of the collector: the InfluxDB password comes from a file (a systemd credential in the
// installed unit) and appears in no log line, no message and no process list. Real influxd
// with authentication on, the real collector and agent as processes.
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture, influxPost } from './support/fixture.js';
import { onceAgentArgs, runCli, startCollectorCli } from './support/cli.js';

// Characters that need percent-encoding in a URL, so the encoding is exercised too.
const PASSWORD = 's3cr:t@p/ss w%rd';
const fx = influxdFixture('vo-secrets-', { authEnabled: true, adminPassword: PASSWORD });
const dir = fx.dir;
const pwFile = join(dir, 'influx-password');

const influxQuery = (q: string, auth = true) =>
  influxPost(fx.influxd, q, { db: 'vo_secrets', ...(auth ? { auth: { user: 'admin', password: PASSWORD } } : {}) });

/** The collector on this file's database, logging everything (so a leak would show). */
const startCollector = (args: string[]) => startCollectorCli(['--listen', '127.0.0.1:0', '--database', 'vo_secrets', '--log-level', 'debug', ...args]);

beforeAll(async () => {
  // The fixture made the first admin with PASSWORD: those credentials are let in, as the one admin; none are refused.
  expect(await (await influxQuery('SHOW USERS')).json()).toEqual({
    results: [{ statement_id: 0, series: [{ columns: ['user', 'admin'], values: [['admin', true]] }] }],
  });
  expect((await influxQuery('SHOW DATABASES', false)).status).toBe(401);
  writeFileSync(pwFile, PASSWORD + '\n', { mode: 0o600 });
});

describe('collector: InfluxDB password from a file', () => {
  it('writes with it, and it appears in no log line and not in the process list', async () => {
    const c = await startCollector(['--influx', fx.influxd.url, '--influx-username', 'admin', '--influx-password-file', pwFile]);
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
    expect(r.stderr).toContain(`"influx":"http://admin:***@127.0.0.1:${fx.influxd.port}"`);
    const rows = (await (await influxQuery(`SELECT count(ok) FROM sysbench WHERE agent = 'sec-agent'`)).json()) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    expect(rows.results[0]!.series![0]!.values[0]![1]).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('a password in --influx works but is warned about and never logged', async () => {
    const url = fx.influxd.url.replace('://', `://admin:${encodeURIComponent(PASSWORD)}@`);
    const c = await startCollector(['--influx', url]);
    const r = await c.stop();
    expect(r.stderr).toMatch(/visible to every user in the process list: use --influx-username and --influx-password-file/);
    expect(r.stderr).not.toContain(encodeURIComponent(PASSWORD));
    expect(r.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it('a wrong password: the message names the URL without any password', async () => {
    const wrong = join(dir, 'wrong');
    writeFileSync(wrong, 'not-it', { mode: 0o600 });
    const c = await startCollector(['--influx', fx.influxd.url, '--influx-username', 'admin', '--influx-password-file', wrong]).catch((e: Error) => e);
    expect(c).toBeInstanceOf(Error); // InfluxDB refused CREATE DATABASE: the collector stops
    const text = (c as Error).message;
    expect(text).toMatch(/authorization failed/);
    expect(text).not.toContain('not-it');
  }, 60_000);

  it('bad input: username without file, file without username, empty or missing file; a file others can read is warned about', async () => {
    const a = await runCli(['collector', '--influx', fx.influxd.url, '--influx-username', 'admin']);
    expect([a.code, a.stderr]).toEqual([2, expect.stringMatching(/--influx-username needs --influx-password-file/)]);
    const b = await runCli(['collector', '--influx', fx.influxd.url, '--influx-password-file', pwFile]);
    expect([b.code, b.stderr]).toEqual([2, expect.stringMatching(/--influx-password-file needs --influx-username/)]);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n', { mode: 0o600 });
    const e = await runCli(['collector', '--influx', fx.influxd.url, '--influx-username', 'admin', '--influx-password-file', empty]);
    expect([e.code, e.stderr]).toEqual([2, expect.stringMatching(/--influx-password-file .*empty is empty/)]);
    const m = await runCli(['collector', '--influx', fx.influxd.url, '--influx-username', 'admin', '--influx-password-file', join(dir, 'nope')]);
    expect([m.code, m.stderr]).toEqual([2, expect.stringMatching(/cannot read --influx-password-file .*nope/)]);
    const open = join(dir, 'open-password');
    writeFileSync(open, PASSWORD);
    chmodSync(open, 0o644);
    const c = await startCollector(['--influx', fx.influxd.url, '--influx-username', 'admin', '--influx-password-file', open]);
    const r = await c.stop();
    expect(r.stderr).toMatch(/open-password: mode 0644 lets other users read it \(chmod 600\)/);
  }, 60_000);

  // Issue 23 item 8: every command redacts credentials in every message (cli/main.ts and cli/log.ts
  // through lib/secret-file.ts redactSecrets), not only where a message was written with care.
  it('report (table, --changes, --compare) prints no password from --influx in any message: wrong password, InfluxDB down, a URL it cannot read', async () => {
    const secret = 'hunter2-Zq9';
    const urls = [
      fx.influxd.url.replace('://', `://admin:${secret}@`), // InfluxDB refuses it
      `http://admin:${secret}@127.0.0.1:1`, // nothing listens there
      `http://admin:${secret}@[::1`, // not a URL
      `${fx.influxd.url}/?u=admin&p=${secret}`, // InfluxDB 1.x's query form
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
