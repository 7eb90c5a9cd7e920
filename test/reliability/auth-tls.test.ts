// Who may write: per-agent tokens (missing, wrong, stolen, revoked by a SIGHUP reload of the
// real collector process), TLS and mutual TLS with certificates made here by openssl, and the
// refusal of plain text off loopback.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { Spool } from '../../agent/spool/spool.js';
import { influxdFixture } from '../support/fixture.js';
import { onceAgentArgs, runCli } from '../support/cli.js';
import { recordFigures } from '../support/figures.js';
import { compareIds, lastJson, loadIds, startCollectorProc, startLoadAgent, stopProc, storedIds, type Proc } from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

const fx = influxdFixture('vo-rel-auth-');
const dir = fx.dir;
const procs: Proc[] = [];
const p = (name: string) => join(dir, name);

afterAll(async () => {
  for (const x of procs) await stopProc(x);
});

const TOK = { alpha: 'tok-alpha-0123456789abcdef', beta: 'tok-beta-0123456789abcdef', gamma: 'tok-gamma-0123456789abcdef' };

/** Opens a stream with a hello; resolves 'welcome' or the status code the collector closed it with. */
async function attempt(
  client: ReturnType<typeof rawClient>,
  token: string | undefined,
  agent: string,
  group = 'g1',
): Promise<{ outcome: 'welcome' | number; details: string; stream: ReturnType<typeof openStream> }> {
  const s = openStream(client, token);
  s.call.write({ hello: hello({ agent_id: agent, group }) });
  const got = await s
    .waitFor((m) => Boolean(m.welcome))
    .then(
      () => true,
      () => false,
    );
  if (got) return { outcome: 'welcome', details: '', stream: s };
  const st = await s.closed;
  return { outcome: st.code, details: st.details, stream: s };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for collector.test, a client certificate, and a rogue CA's client certificate. */
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'rogue']) openssl(['req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-subj', `/CN=vo-test-${ca}`, '-days', '2']);
  writeFileSync(p('server.ext'), 'subjectAltName=DNS:collector.test\nextendedKeyUsage=serverAuth\n');
  writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = (name: string, ca: string, ext: string) => {
    openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
  };
  sign('server', 'ca', 'server.ext');
  sign('client', 'ca', 'client.ext');
  sign('intruder', 'rogue', 'client.ext');
}

const sslCreds = (ca: string, key?: string, cert?: string) =>
  grpc.credentials.createSsl(readFileSync(p(ca)), key ? readFileSync(p(key)) : null, cert ? readFileSync(p(cert)) : null);
const tlsOpts = { 'grpc.ssl_target_name_override': 'collector.test' };

describe('tokens', () => {
  it('missing, wrong and stolen tokens are refused; SIGHUP reloads the file and revokes at once', async () => {
    const tokens = p('tokens.yaml');
    writeFileSync(tokens, `- {token: ${TOK.alpha}, agent: alpha, group: g1}\n- {token: ${TOK.beta}, agent: beta, group: g1}\n`, { mode: 0o600 }); // as an operator should (an open one is warned about)
    const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--tokens', tokens]);
    procs.push(c);
    const client = rawClient(c.address);
    const none = await attempt(client, undefined, 'alpha');
    expect(none.outcome).toBe(grpc.status.UNAUTHENTICATED);
    expect(none.details).toMatch(/missing token/);
    expect((await attempt(client, 'tok-wrong-0123456789abcdef', 'alpha')).outcome).toBe(grpc.status.UNAUTHENTICATED);
    const stolen = await attempt(client, TOK.beta, 'alpha');
    expect(stolen.outcome).toBe(grpc.status.PERMISSION_DENIED);
    expect(stolen.details).toMatch(/only as agent 'beta'/);
    expect((await attempt(client, TOK.alpha, 'alpha', 'other-group')).outcome).toBe(grpc.status.PERMISSION_DENIED);
    const ok = await attempt(client, TOK.alpha, 'alpha');
    expect(ok.outcome).toBe('welcome');
    ok.stream.call.write(validResult('auth-alpha-1'));
    await ok.stream.waitFor((m) => Boolean(m.ack?.ids.includes('auth-alpha-1')));

    // Reload: alpha is revoked, gamma added. A broken file first: the old table stays.
    writeFileSync(tokens, '- {token: short, agent: x, group: y}\n');
    c.signal('SIGHUP');
    // Waits for the state (the reload answered), not for a time: 5 s were not enough at load 20.
    await expect(c.waitForErr(/tokens reload failed/)).resolves.toBeDefined();
    expect((await attempt(client, TOK.beta, 'beta')).outcome).toBe('welcome');
    writeFileSync(tokens, `- {token: ${TOK.beta}, agent: beta, group: g1}\n- {token: ${TOK.gamma}, agent: gamma, group: g1}\n`);
    c.signal('SIGHUP');
    await expect(c.waitForErr(/"tokens reloaded"/)).resolves.toBeDefined();
    // The stream opened with alpha's token before the reload is closed at its next message.
    ok.stream.call.write(validResult('auth-alpha-2'));
    const st = await ok.stream.closed;
    expect(st.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(ok.stream.received.some((m) => m.ack?.ids.includes('auth-alpha-2'))).toBe(false);
    expect((await attempt(client, TOK.alpha, 'alpha')).outcome).toBe(grpc.status.UNAUTHENTICATED);

    // A real agent process with gamma's token delivers everything.
    writeFileSync(p('gamma.token'), TOK.gamma + '\n', { mode: 0o600 });
    const agent = startLoadAgent({
      collector: c.address,
      spoolDir: p('spool-gamma'),
      agentId: 'gamma',
      group: 'g1',
      count: 500,
      batch: 50,
      tokenFile: p('gamma.token'),
      exitWhenDrained: true,
    });
    procs.push(agent);
    await agent.waitFor(/"event":"drained"/);
    const want = loadIds('gamma', 500);
    const r = compareIds(
      [...want.results, ...want.samples],
      [...(await storedIds(fx.influxd.url, 'sysbench', 'gamma')), ...(await storedIds(fx.influxd.url, 'sysbench_interval', 'gamma'))],
    );
    expect(r).toEqual({ expected: 500, stored: 500, lost: 0, duplicated: 0, unexpected: 0 });
    const alphaRows = await storedIds(fx.influxd.url, 'sysbench', 'alpha');
    expect(alphaRows).toEqual(['auth-alpha-1']);
    recordFigures('tokens: missing/wrong/stolen/other group refused, SIGHUP revokes an open stream; agent with a valid token', {
      sent: 500,
      acknowledged: 500,
      stored: r.stored,
      spooled: Number(lastJson(agent, 'drained')!.spooled),
      dropped: Number(lastJson(agent, 'drained')!.dropped),
      rejected: Number(lastJson(agent, 'drained')!.rejected),
      lost: r.lost,
      duplicated: r.duplicated,
      note: 'UNAUTHENTICATED x2, PERMISSION_DENIED x2, revoked stream closed UNAUTHENTICATED, nothing written by a refused stream',
    });
    client.close();
    await stopProc(c);
  });
});

describe('TLS and mutual TLS', () => {
  it('TLS: an agent trusting the CA delivers; a plain-text client and a client trusting another CA are refused', async () => {
    makeCerts();
    const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--tls-cert', p('server.crt'), '--tls-key', p('server.key')]);
    procs.push(c);
    const plain = rawClient(c.address);
    expect((await attempt(plain, undefined, 'plain')).outcome).toBe(grpc.status.UNAVAILABLE);
    plain.close();
    const wrongCa = rawClient(c.address, sslCreds('rogue.crt'), tlsOpts);
    expect((await attempt(wrongCa, undefined, 'wrong-ca')).outcome).toBe(grpc.status.UNAVAILABLE);
    wrongCa.close();
    const agent = startLoadAgent({
      collector: c.address,
      spoolDir: p('spool-tls'),
      agentId: 'tls-agent',
      count: 300,
      batch: 50,
      tls: { ca: p('ca.crt'), serverName: 'collector.test' },
      exitWhenDrained: true,
    });
    procs.push(agent);
    await agent.waitFor(/"event":"drained"/);
    const want = loadIds('tls-agent', 300);
    const r = compareIds(
      [...want.results, ...want.samples],
      [...(await storedIds(fx.influxd.url, 'sysbench', 'tls-agent')), ...(await storedIds(fx.influxd.url, 'sysbench_interval', 'tls-agent'))],
    );
    expect(r).toEqual({ expected: 300, stored: 300, lost: 0, duplicated: 0, unexpected: 0 });
    expect(await storedIds(fx.influxd.url, 'sysbench', 'plain')).toEqual([]);
    recordFigures('TLS: agent with --tls-ca/--tls-server-name; plain-text and wrong-CA clients refused', {
      sent: 300,
      acknowledged: 300,
      stored: r.stored,
      spooled: Number(lastJson(agent, 'drained')!.spooled),
      dropped: Number(lastJson(agent, 'drained')!.dropped),
      rejected: Number(lastJson(agent, 'drained')!.rejected),
      lost: r.lost,
      duplicated: r.duplicated,
    });
    await stopProc(c);
  });

  it('mutual TLS: a client without a certificate, or with one from another CA, is refused; the agent with its certificate delivers', async () => {
    const c = await startCollectorProc([
      '--listen',
      '127.0.0.1:0',
      '--influx',
      fx.influxd.url,
      '--tls-cert',
      p('server.crt'),
      '--tls-key',
      p('server.key'),
      '--tls-client-ca',
      p('ca.crt'),
    ]);
    procs.push(c);
    const noCert = rawClient(c.address, sslCreds('ca.crt'), tlsOpts);
    const a1 = await attempt(noCert, undefined, 'no-cert');
    expect(a1.outcome).toBe(grpc.status.UNAVAILABLE);
    noCert.close();
    const intruder = rawClient(c.address, sslCreds('ca.crt', 'intruder.key', 'intruder.crt'), tlsOpts);
    expect((await attempt(intruder, undefined, 'intruder')).outcome).toBe(grpc.status.UNAVAILABLE);
    intruder.close();
    const good = rawClient(c.address, sslCreds('ca.crt', 'client.key', 'client.crt'), tlsOpts);
    expect((await attempt(good, undefined, 'mtls-raw')).outcome).toBe('welcome');
    good.close();
    const agent = startLoadAgent({
      collector: c.address,
      spoolDir: p('spool-mtls'),
      agentId: 'mtls-agent',
      count: 300,
      batch: 50,
      tls: { ca: p('ca.crt'), cert: p('client.crt'), key: p('client.key'), serverName: 'collector.test' },
      exitWhenDrained: true,
    });
    procs.push(agent);
    await agent.waitFor(/"event":"drained"/);
    expect(lastJson(agent, 'drained')!.spooled).toBe(0);
    const want = loadIds('mtls-agent', 300);
    const r = compareIds(
      [...want.results, ...want.samples],
      [...(await storedIds(fx.influxd.url, 'sysbench', 'mtls-agent')), ...(await storedIds(fx.influxd.url, 'sysbench_interval', 'mtls-agent'))],
    );
    expect(r).toEqual({ expected: 300, stored: 300, lost: 0, duplicated: 0, unexpected: 0 });
    for (const who of ['no-cert', 'intruder']) expect(await storedIds(fx.influxd.url, 'sysbench', who)).toEqual([]);
    // The real agent's command line options reach the same credentials.
    const real = await runCli(
      onceAgentArgs({
        collector: c.address,
        profile: 'quick',
        tests: 'mutex',
        trials: 1,
        workdir: p('work-mtls'),
        agentId: 'mtls-real',
        group: 'rel',
        extra: ['--tls-ca', p('ca.crt'), '--tls-cert', p('client.crt'), '--tls-key', p('client.key'), '--tls-server-name', 'collector.test'],
      }),
    );
    expect(real.code).toBe(0);
    expect((await storedIds(fx.influxd.url, 'sysbench', 'mtls-real')).length).toBe(1);
    const refused = await runCli(
      onceAgentArgs({
        collector: c.address,
        profile: 'quick',
        tests: 'mutex',
        trials: 1,
        workdir: p('work-mtls2'),
        agentId: 'mtls-nocert',
        group: 'rel',
        extra: ['--tls-ca', p('ca.crt'), '--tls-server-name', 'collector.test', '--flush-timeout', '3s'],
      }),
    );
    expect(refused.code).toBe(3); // could not hand its result over: it stays in the spool
    expect(await storedIds(fx.influxd.url, 'sysbench', 'mtls-nocert')).toEqual([]);
    const kept = Spool.open(p('work-mtls2/spool'));
    expect([...kept.pending()].filter((r) => r.kind === 'result').map((r) => r.id)).toEqual([expect.stringMatching(/^mtls-nocert:.*:mutex:1$/)]);
    kept.close();
    recordFigures("mutual TLS: no client certificate and a rogue CA's certificate refused; agent with its certificate", {
      sent: 300,
      acknowledged: 300,
      stored: r.stored,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: r.lost,
      duplicated: r.duplicated,
    });
    await stopProc(c);
  });

  it('plain text is refused off loopback on both sides (before any connection is made)', async () => {
    const col = await runCli(['collector', '--listen', '192.0.2.10:50051', '--influx', fx.influxd.url]);
    expect(col.code).toBe(2);
    expect(col.stderr).toMatch(/refusing to listen in plain text on 192\.0\.2\.10:50051/);
    const ag = await runCli(['agent', '--collector', '192.0.2.10:50051', '--once', '--profile', 'quick', '--tests', 'mutex', '--workdir', p('work-plain')]);
    expect(ag.code).toBe(2);
    expect(ag.stderr).toMatch(/refusing to send results in plain text to 192\.0\.2\.10:50051/);
  });
});
