// Issue 23 item 1: a guest with its own valid credential tries every input the collector used to
// take — a 900 KB kernel string and escape sequences in its facts, C1 and bidi characters in its
// identity, 1e-322 events/s with a resolution of 5e-324, timestamps in 1970 and 2262, a new
// profile name with every result — while a victim agent of another group keeps sending. Real
// influxd, the built collector as a process, raw gRPC clients on loopback (the victim's latency is
// measured from its own socket). Counts for both, the victim's ack latency with and without the
// attacker, and the collector's memory (figures, not assertions: docs/RELIABILITY.md).
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { latencyText, victimPhase } from '../support/victim.js';
import { compareIds, query, sleep, startCollectorProc, stopProc, type CollectorProc } from '../support/procs.js';
import { hello, openStream, rawClient, validResult, type RawStream } from '../support/raw-client.js';

const fx = influxdFixture('vo-rel-hostile-');
let collector: CollectorProc;
let client: ReturnType<typeof rawClient>;

beforeAll(async () => {
  collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
  client = rawClient(collector.address);
}, 120_000);
afterAll(async () => {
  client?.close();
  await stopProc(collector);
});

const kib = (key: 'VmRSS' | 'VmHWM') => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${collector.pid}/status`, 'utf8'))?.[1] ?? NaN);

/** Opens a stream with this hello; resolves with it once welcomed, or with the stream's status when refused. */
async function connect(h: Parameters<typeof hello>[0]): Promise<{ s: RawStream; refused?: { code: number; details: string } }> {
  const s = openStream(client);
  s.call.write({ hello: hello(h) });
  const welcomed = await s
    .waitFor((m) => Boolean(m.welcome), 1, 30_000)
    .then(
      () => true,
      () => false,
    );
  return welcomed ? { s } : { s, refused: await s.closed };
}

describe('a hostile guest with a valid credential, beside a victim agent', () => {
  it('every hostile input is refused with its reason or stored flagged; the victim is stored whole, nothing held', async () => {
    const victim = await connect({ agent_id: 'victim', group: 'victims', hostname: 'victim-host' });
    expect(victim.refused).toBeUndefined();
    const rssBefore = kib('VmRSS');
    const quiet = await victimPhase(victim.s, 'quiet', 4000, 50, (i) => (i % 20 === 0 ? `quiet-p${i}` : 'victim'));

    // The attack, running while the victim keeps sending.
    const attack = (async () => {
      const refused: Record<string, { code: number; details: string } | undefined> = {};
      const kernel = { os: 'linux', arch: 'x64', cpu_model: 'x', cpus: 2, memory_bytes: '1024' };
      refused.bigKernel = (await connect({ agent_id: 'evil', group: 'hostile', host: { ...kernel, kernel: 'k'.repeat(900_000) } })).refused;
      refused.escapes = (
        await connect({ agent_id: 'evil', group: 'hostile', host: { ...kernel, kernel: '6.1\u001b[2J\u001b]0;owned\u0007\nall guests: equivalent' } })
      ).refused;
      refused.c1Host = (await connect({ agent_id: 'evil', group: 'hostile', hostname: 'evil\u009b2J' })).refused;
      refused.bidiVariant = (await connect({ agent_id: 'evil', group: 'hostile', variant: 'stock\u202eqemu' })).refused;
      const { s } = await connect({ agent_id: 'evil', group: 'hostile', hostname: 'evil-host' });
      const sent: string[] = [];
      const send = (id: string, over: Record<string, unknown>) => {
        sent.push(id);
        s.call.write(validResult(id, { run_id: 'evil-run', ...over }));
      };
      send('evil-denormal', { fields: { events_per_sec: 1e-322 }, resolution: { events_per_sec: 5e-324 } });
      send('evil-2262', { timestamp_ns: '9223372036854775000' });
      send('evil-1970', { timestamp_ns: '1000' });
      const PROFILES = 2000;
      for (let i = 0; i < PROFILES; i++) {
        send(`evil-p${i}`, { profile: `p${i}-${'x'.repeat(40)}` });
        if (i % 100 === 99) await sleep(20);
      }
      const answers = await s
        .waitFor((m) => Boolean(m.ack || m.reject), 1, 60_000)
        .then(async () => {
          for (let i = 0; i < 2400; i++) {
            const n = s.received.reduce((k, m) => k + (m.ack?.ids.length ?? 0) + (m.reject ? 1 : 0), 0);
            if (n >= sent.length) break;
            await sleep(25);
          }
          return s.received;
        });
      s.close();
      await s.closed;
      return { refused, sent, answers };
    })();
    const loud = await victimPhase(victim.s, 'loud', 4000, 50, (i) => (i % 20 === 0 ? `loud-p${i}` : 'victim'));
    const { refused, sent, answers } = await attack;
    victim.s.close();
    await victim.s.closed;

    // Hellos out of bounds: the stream closed with the reason.
    expect(refused.bigKernel).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'hello.host.kernel is longer than 256 bytes' });
    expect(refused.escapes).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'hello.host.kernel contains a control, format or bidi character' });
    expect(refused.c1Host).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'hello.hostname contains a control, format or bidi character' });
    expect(refused.bidiVariant).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'hello.variant contains a control, format or bidi character' });

    const acked = new Set(answers.flatMap((m) => m.ack?.ids ?? []));
    const rejects = new Map(answers.filter((m) => m.reject).map((m) => [m.reject!.id, m.reject!]));
    expect(rejects.get('evil-denormal')).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(rejects.get('evil-denormal')!.reason).toMatch(/finer than sysbench prints|must be a step sysbench can print/);
    // The profile budget: 64 names (the first result used one more: the default 'raw' profile).
    const budgetRefused = [...rejects.values()].filter((r) => r.code === grpc.status.RESOURCE_EXHAUSTED);
    expect(budgetRefused.length).toBe(2000 - 63);
    expect(budgetRefused[0]!.reason).toMatch(/budget of 64 distinct profile values/);
    expect(acked.has('evil-2262') && acked.has('evil-1970')).toBe(true);
    expect(acked.size + rejects.size).toBe(sent.length);

    // Stored: what was acked, once; the far-off times flagged.
    const evilRows = await query(fx.influxd.url, `SELECT "result_id", "clock_skew_s" FROM "sysbench" WHERE "agent" = 'evil'`);
    const evil = compareIds(
      [...acked],
      evilRows.map((r) => String(r.result_id)),
    );
    expect(evil).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    const skew = Object.fromEntries(evilRows.map((r) => [r.result_id, r.clock_skew_s]));
    expect(skew['evil-2262']).toBeGreaterThan(200 * 365 * 86_400);
    expect(skew['evil-1970']).toBeLessThan(-50 * 365 * 86_400);
    const profiles = await query(fx.influxd.url, `SHOW TAG VALUES FROM "sysbench" WITH KEY = "profile" WHERE "agent" = 'evil'`);
    expect(profiles.length).toBe(64);

    // The victim: every result acked and stored once, none held or refused.
    const victimIds = [...quiet.ids, ...loud.ids];
    const victimRows = await query(fx.influxd.url, `SELECT "result_id" FROM "sysbench" WHERE "agent" = 'victim'`);
    const v = compareIds(
      victimIds,
      victimRows.map((r) => String(r.result_id)),
    );
    expect(v).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(quiet.latencies.length + loud.latencies.length).toBe(victimIds.length);
    const hwm = kib('VmHWM');

    recordFigures('hostile guest (valid credential) beside a victim: big and escaped facts, C1/bidi identity, 1e-322, 1970/2262, 2 000 profile names', {
      sent: sent.length + 4 + victimIds.length,
      acknowledged: acked.size + victimIds.length,
      stored: evilRows.length + victimRows.length,
      spooled: 0,
      dropped: 0,
      rejected: rejects.size + 4,
      lost: 0,
      duplicated: evil.duplicated + v.duplicated,
      note:
        `attacker: 4 hellos refused (INVALID_ARGUMENT), ${rejects.size - budgetRefused.length} record refused (INVALID_ARGUMENT), ${budgetRefused.length} over the profile budget (RESOURCE_EXHAUSTED), ` +
        `${acked.size} stored (1970 and 2262 flagged with clock_skew_s), ${profiles.length} profile values; victim: ${victimIds.length} sent, stored once, held 0; ` +
        `victim ack latency without the attacker ${latencyText(quiet.latencies)}, with it ${latencyText(loud.latencies)}; collector RSS ${(rssBefore / 1024).toFixed(0)} MB before, peak ${(hwm / 1024).toFixed(0)} MB`,
    });
  }, 240_000);
});
