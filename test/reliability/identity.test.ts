// Identity bound to the credential (issue 16, item 1), against the real collector process:
// a guest's token claiming role=baseline (the impostor of the issue), a token bound to a host,
// and a tokens file that others can read. Each case ends in counts against InfluxDB.
import { chmodSync, writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../agent/spool/spool.js';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { query, sleep, startCollectorProc, startLoadAgent, stopProc, storedIds, type CollectorProc } from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

const fx = influxdFixture('vo-rel-identity-');
const p = fx.p;
let collector: CollectorProc;
const procs = fx.procs;

const TOK = { guest: 'tok-guest-0123456789abcdef', native: 'tok-native-0123456789abcdef', pinned: 'tok-pinned-0123456789abcdef' };

beforeAll(async () => {
  writeFileSync(
    p('tokens.yaml'),
    [
      `- {token: ${TOK.guest}, agent: vm1, group: g}`, // roles default to guest only
      `- {token: ${TOK.native}, agent: native, group: g, roles: [baseline]}`,
      `- {token: ${TOK.pinned}, agent: pinned, group: g, host: host-a, variant: stock}`,
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--tokens', p('tokens.yaml')]);
  procs.push(collector);
});

/** Opens a stream, sends the hello and then `results` results; counts acks, or the closing status. */
async function session(
  token: string,
  over: Parameters<typeof hello>[0],
  results: number,
  tag: string,
): Promise<{ welcome: boolean; status?: { code: number; details: string }; acked: number }> {
  const client = rawClient(collector.address);
  const s = openStream(client, token);
  s.call.write({ hello: hello(over) });
  const welcome = await s
    .waitFor((m) => Boolean(m.welcome))
    .then(
      () => true,
      () => false,
    );
  if (!welcome) {
    // The impostor's records are written anyway, as an attacker would: none may be stored.
    for (let i = 0; i < results; i++) s.call.write(validResult(`${tag}-${i}`));
    const status = await s.closed;
    client.close();
    return { welcome, status, acked: 0 };
  }
  for (let i = 0; i < results; i++) s.call.write(validResult(`${tag}-${i}`));
  const acks = results ? await s.waitFor((m) => Boolean(m.ack), 1) : [];
  let acked = new Set(acks.flatMap((m) => m.ack!.ids)).size;
  for (let i = 0; i < 200 && acked < results; i++) {
    await sleep(25);
    acked = new Set(s.received.flatMap((m) => m.ack?.ids ?? [])).size;
  }
  s.close();
  await s.closed;
  client.close();
  return { welcome, acked };
}

describe('identity bound to the credential', () => {
  it('the impostor: a guest token claiming role=baseline is refused and stores nothing; the granted baseline and the guest as guest store everything', async () => {
    const impostor = await session(TOK.guest, { agent_id: 'vm1', group: 'g', role: 'baseline' }, 10, 'impostor');
    expect(impostor.welcome).toBe(false);
    expect(impostor.status!.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(impostor.status!.details).toMatch(/may claim only the role\(s\) guest, not 'baseline'/);

    const asGuest = await session(TOK.guest, { agent_id: 'vm1', group: 'g', role: 'guest' }, 10, 'vm1');
    expect(asGuest).toEqual({ welcome: true, acked: 10 });
    const native = await session(TOK.native, { agent_id: 'native', group: 'g', role: 'baseline' }, 10, 'native');
    expect(native).toEqual({ welcome: true, acked: 10 });
    // A baseline token is not a guest token either: roles are exactly what the entry lists.
    const nativeAsGuest = await session(TOK.native, { agent_id: 'native', group: 'g', role: 'guest' }, 0, 'x');
    expect(nativeAsGuest.status?.code).toBe(grpc.status.PERMISSION_DENIED);

    // The same impostor through a real agent process (the load agent, real Spool and Sender):
    // never welcomed, so everything it produced stays in its spool.
    writeFileSync(p('guest.token'), TOK.guest + '\n', { mode: 0o600 });
    const agent = startLoadAgent({
      collector: collector.address,
      spoolDir: p('spool-impostor'),
      agentId: 'vm1',
      group: 'g',
      role: 'baseline',
      count: 20,
      batch: 20,
      tokenFile: p('guest.token'),
      backoffBaseMs: 50,
    });
    procs.push(agent);
    await agent.waitFor(/"event":"produced"/);
    await agent.waitForErr(/PERMISSION_DENIED/); // until it says so (or exits), not 10 s of polling
    expect(agent.stderr()).toMatch(/PERMISSION_DENIED/);
    await stopProc(agent);
    const spool = Spool.open(p('spool-impostor'));
    const spooled = spool.stats().spooled;
    spool.close();
    expect(spooled).toBe(20);

    const roles = await query(fx.influxd.url, `SELECT "result_id", "role" FROM "sysbench" WHERE "group" = 'g'`);
    const byRole = (role: string) => roles.filter((r) => r.role === role).map((r) => String(r.result_id));
    expect(byRole('baseline').sort()).toEqual(Array.from({ length: 10 }, (_, i) => `native-${i}`).sort());
    expect(byRole('guest')).toHaveLength(10);
    expect(roles.filter((r) => String(r.result_id).startsWith('impostor'))).toHaveLength(0);
    recordFigures('impostor: a guest token with hello role=baseline (10 raw results + 20 from an agent process)', {
      sent: 30,
      acknowledged: 0,
      stored: 0,
      spooled: spooled,
      dropped: 0,
      rejected: 10,
      lost: 0,
      duplicated: 0,
      note: `PERMISSION_DENIED; agent: spooled ${spooled} (kept, not lost); the granted baseline and the guest as guest: 10 + 10 stored`,
    });
  });

  it('a credential bound to a host and variant cannot report others', async () => {
    const wrongHost = await session(TOK.pinned, { agent_id: 'pinned', group: 'g', hostname: 'host-b', variant: 'stock' }, 5, 'pin-wrong');
    expect(wrongHost.status?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(wrongHost.status?.details).toMatch(/bound to host 'host-a'/);
    const wrongVariant = await session(TOK.pinned, { agent_id: 'pinned', group: 'g', hostname: 'host-a', variant: 'tuned' }, 5, 'pin-wrong');
    expect(wrongVariant.status?.details).toMatch(/bound to variant 'stock'/);
    expect(await session(TOK.pinned, { agent_id: 'pinned', group: 'g', hostname: 'host-a', variant: 'stock' }, 5, 'pin')).toEqual({ welcome: true, acked: 5 });
    const stored = await storedIds(fx.influxd.url, 'sysbench', 'pinned');
    expect(stored.sort()).toEqual(['pin-0', 'pin-1', 'pin-2', 'pin-3', 'pin-4']);
  });

  it('a tokens file other users can read is used with a warning naming the fix (like ssh)', async () => {
    writeFileSync(p('open-tokens.yaml'), `- {token: ${TOK.guest}, agent: vm1, group: g}\n`);
    chmodSync(p('open-tokens.yaml'), 0o644);
    const open = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--tokens', p('open-tokens.yaml')]);
    procs.push(open);
    await open.waitForErr(/lets other users read it/); // until it says so (or exits), not 5 s of polling
    expect(open.stderr()).toMatch(/tokens file .*open-tokens\.yaml: mode 0644 lets other users read it \(chmod 600\)/);
    await stopProc(open);
  });
});
