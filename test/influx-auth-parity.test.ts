// One InfluxDB connection option set for every command that talks to InfluxDB (issue 24 item 5):
// a real influxd with HTTPS (certificates from `virt-overhead cert`) and authentication on, the
// real collector and agent as processes, then `report` reading it back with the same four
// options; what a missing or wrong CA and the option pairs that cannot work are told.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture, influxPost } from './support/fixture.js';
import { COLLECTOR_OPTIONS } from '../collector/config.js';
import { COMMAND as REPORT } from '../cli/commands/report.js';
import { COMMAND as LAB } from '../cli/commands/lab.js';
import { COMMAND as QUICKSTART } from '../cli/commands/quickstart.js';
import { onceAgentArgs, runCli, startCollectorCli, type CliResult } from './support/cli.js';

const PASSWORD = 'p@rity:pw/1';
/** influxd with HTTPS (certificates from `virt-overhead cert`) and auth on, its first admin made. */
const fx = influxdFixture('vo-influx-parity-', async () => {
  for (const args of [
    ['cert', 'ca', '--dir', pki],
    ['cert', 'collector', '--dir', pki, '--name', '127.0.0.1'],
    ['cert', 'ca', '--dir', join(dir, 'other')],
  ]) {
    const r = await runCli(args);
    if (r.code !== 0) throw new Error(`virt-overhead ${args.join(' ')}: ${r.stderr}`);
  }
  ca = readFileSync(join(pki, 'ca.pem'), 'utf8');
  return { authEnabled: true, tls: { cert: join(pki, 'collector.pem'), key: join(pki, 'collector.key'), ca }, adminPassword: PASSWORD };
});
const dir = fx.dir;
const pki = join(dir, 'pki');
const pwFile = join(dir, 'influx-password');
const DB = 'vo_parity';
let ca: string;
/** The four options as an operator writes them. */
let conn: string[];

beforeAll(async () => {
  expect(fx.influxd.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  // The fixture made the first admin with PASSWORD over HTTPS: those credentials are let in, as the one admin.
  const users = await influxPost(fx.influxd, 'SHOW USERS', { auth: { user: 'admin', password: PASSWORD }, ca });
  expect(await users.json()).toEqual({ results: [{ statement_id: 0, series: [{ columns: ['user', 'admin'], values: [['admin', true]] }] }] });
  writeFileSync(pwFile, PASSWORD + '\n', { mode: 0o600 });
  conn = ['--influx', fx.influxd.url, '--influx-username', 'admin', '--influx-password-file', pwFile, '--influx-ca', join(pki, 'ca.pem')];
});

describe('InfluxDB over HTTPS with a user: the same four options everywhere', () => {
  it('collector, report, lab and quickstart declare the same --influx options', () => {
    const names = ['influx', 'influx-username', 'influx-password-file', 'influx-ca'];
    const shape = (opts: { name: string; type: string }[]) => names.map((n) => opts.find((o) => o.name === n)?.type);
    const collector = shape(COLLECTOR_OPTIONS);
    expect(collector).toEqual(['string', 'string', 'path', 'path']);
    for (const cmd of [REPORT, LAB, QUICKSTART]) expect(shape(cmd.options), cmd.name).toEqual(collector);
  });

  it('the collector writes an agent run through them and report reads it back; no password anywhere it prints', async () => {
    const collector = await startCollectorCli(['--listen', '127.0.0.1:0', '--database', DB, ...conn]);
    const address = collector.address;
    // A baseline and a guest, so the report has an overhead row to read back.
    const agents: CliResult[] = [];
    for (const role of ['baseline', 'guest'])
      agents.push(
        await runCli(
          onceAgentArgs({ collector: address, tests: 'mutex', trials: 1, role, agentId: `parity-${role}`, group: 'parity', workdir: join(dir, role) }),
        ),
      );
    const c = await collector.stop();
    for (const a of agents) expect(a.code, a.stderr.slice(-2000)).toBe(0);
    expect(c.stderr).toContain(`"influx":"https://admin:***@127.0.0.1:${fx.influxd.port}"`);

    const r = await runCli(['report', ...conn, '--database', DB, '--group', 'parity', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { schema_version: number; kind: string };
    expect([report.schema_version, report.kind]).toEqual([1, 'overhead']);
    expect(r.stdout).toContain('"agent": "parity-guest"');
    for (const text of [c.stdout, c.stderr, ...agents.map((a) => a.stderr), r.stdout, r.stderr]) expect(text).not.toContain(PASSWORD);
  }, 240_000);

  it('without --influx-ca, or with another CA, report fails and says the certificate is not trusted', async () => {
    const none = await runCli(['report', ...conn.slice(0, 6), '--database', DB]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/self[- ]signed|unable to verify|certificate/i);
    const other = await runCli(['report', ...conn.slice(0, 6), '--influx-ca', join(dir, 'other', 'ca.pem'), '--database', DB]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/certificate/i);
    expect(none.stderr + other.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it('bad input: a CA with a plain http URL, a file that is no certificate, --influx-ca or a user without --influx in the lab', async () => {
    const plain = await runCli(['report', '--influx', 'http://127.0.0.1:1', '--influx-ca', join(pki, 'ca.pem')]);
    expect([plain.code, plain.stderr]).toEqual([2, expect.stringContaining('--influx-ca needs an https:// --influx (http://127.0.0.1:1 is plain http')]);
    const notPem = await runCli(['report', '--influx', fx.influxd.url, '--influx-ca', pwFile]);
    expect([notPem.code, notPem.stderr]).toEqual([2, expect.stringContaining(`--influx-ca ${pwFile} holds no PEM certificate`)]);
    const lab = await runCli(['lab', '--collector', '127.0.0.1:50051', '--influx-ca', join(pki, 'ca.pem')]);
    expect([lab.code, lab.stderr]).toEqual([2, expect.stringContaining('--influx-ca need --influx')]);
    const user = await runCli(['report', '--influx', fx.influxd.url, '--influx-username', 'admin']);
    expect([user.code, user.stderr]).toEqual([2, expect.stringContaining('--influx-username needs --influx-password-file')]);
  }, 60_000);
});
