// 10 000 malformed messages from a raw gRPC client (9 000 well-formed protobuf with bad
// contents, 1 000 random bytes), tag-injection strings in every identity field, and resends of
// one result: the collector stays up, rejects with INVALID_ARGUMENT and a reason, writes
// nothing bad, forges no point or tag. Resends: test/reliability/history.test.ts.
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../proto/index.js';
import { RESULT_FIELDS } from '../../schema/sysbench.js';
import { recordFigures } from '../support/figures.js';
import { query } from '../support/procs.js';
import { hello, openStream, rawCollectorFixture, validResult } from '../support/raw-client.js';
import { measurementRef } from '../../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const fx = rawCollectorFixture('vo-rel-fuzz-');

const q = (text: string) => query(fx.stack.influxUrl, text);
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** One malformed message per kind; the id says which, so each Reject can be matched. */
const BAD: Array<(id: string) => AgentMessage> = [
  (id) => validResult(id, { test: 'cpux' }),
  (id) => validResult(id, { fields: { events_per_sec: NaN } }),
  (id) => validResult(id, { fields: { events_per_sec: Infinity } }),
  (id) => validResult(id, { fields: { events_per_sec: -1 } }),
  (id) => validResult(id, { fields: { events_per_sec: 1e300 } }),
  (id) => validResult(id, { fields: { 'evil field,x=1': 1 } }),
  (id) => validResult(id, { trial: 0 }),
  (id) => validResult(id, { trial: 5000 }),
  (id) => validResult(id, { threads: 0 }),
  (id) => validResult(id, { ok: true, fields: {} }),
  (id) => validResult(id, { timestamp_ns: '0' }),
  (id) => validResult(id, { timestamp_ns: '9223372036854775807' }), // past InfluxDB's last timestamp
  (id) => validResult(id, { profile: 'a\\' }),
  (id) => validResult(id, { profile: 'x'.repeat(65) }),
  (id) => validResult(id, { sysbench_version: '1.0\n20' }),
  (id) => validResult(id, { run_id: '' }),
  (id) => validResult(id, { errors: Array.from({ length: 21 }, () => 'e') }),
  (id) => validResult(id, { errors: ['e'.repeat(3001)] }),
  (id) => ({
    sample: { id, timestamp_ns: String(nowNs()), run_id: 'r', test: 'cpu', profile: 'p', trial: 1, fields: { events_per_sec: 1 }, sysbench_version: '1' },
  }),
  (id) => ({
    sample: { id, timestamp_ns: String(nowNs()), run_id: 'r', test: 'cpu', profile: 'p', trial: 1, fields: { elapsed_s: 1, bogus: 1 }, sysbench_version: '1' },
  }),
  (id) => ({ sample: { id, timestamp_ns: String(nowNs()), run_id: 'r', test: '', profile: 'p', trial: 1, fields: { elapsed_s: 1 }, sysbench_version: '1' } }),
  (id) => ({ status: { id, timestamp_ns: String(nowNs()), spooled: '0', dropped: '0', corrupt: '0', rejected: '0', last_run_ok: true, state: 'bogus' } }),
  (id) => ({ status: { id, timestamp_ns: '0', spooled: '0', dropped: '0', corrupt: '0', rejected: '0', last_run_ok: true, state: 'idle' } }),
];
/** Malformed messages without a usable id: the Reject carries '?'. */
const BAD_NO_ID: Array<(i: number) => AgentMessage> = [() => ({}), () => ({ hello: hello() }), () => validResult('')];

describe('fuzzed and malformed input', () => {
  it('10 000 malformed messages: every one rejected with INVALID_ARGUMENT and a reason, nothing written, collector still answers', async () => {
    const s = openStream(fx.client);
    s.call.write({ hello: hello({ agent_id: 'fuzz' }) });
    await s.waitFor((m) => Boolean(m.welcome));
    const expectedIds = new Set<string>();
    let noId = 0;
    const STRUCTURED = 9000;
    for (let i = 0; i < STRUCTURED; i++) {
      if (i % 10 === 8) {
        // An id with a newline is refused; the Reject names it as sent.
        expectedIds.add(`bad-${i}\n`);
        s.call.write(validResult(`bad-${i}\n`));
      } else if (i % 10 === 9) {
        s.call.write(BAD_NO_ID[i % BAD_NO_ID.length]!(i));
        noId++;
      } else {
        const id = `bad-${i}`;
        expectedIds.add(id);
        s.call.write(BAD[i % BAD.length]!(id));
      }
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    // A long id is cut to 256 characters in the Reject.
    const longId = `bad-long-${'x'.repeat(300)}`;
    s.call.write(validResult(longId));
    expectedIds.add(longId.slice(0, 256));
    const rejects = await s.waitFor((m) => Boolean(m.reject), STRUCTURED + 1, 120_000);
    const byId = new Map<string, number>();
    for (const r of rejects) {
      expect(r.reject!.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(r.reject!.reason.length).toBeGreaterThan(5);
      byId.set(r.reject!.id, (byId.get(r.reject!.id) ?? 0) + 1);
    }
    expect(byId.get('?')).toBe(noId);
    for (const id of expectedIds) expect(byId.get(id), id).toBe(1);
    expect(rejects.length).toBe(expectedIds.size + noId);
    // Still answering on the same stream: a valid result is acknowledged.
    s.call.write(validResult('fuzz-good-1'));
    await s.waitFor((m) => Boolean(m.ack?.ids.includes('fuzz-good-1')));
    s.close();
    await s.closed;

    // 1 000 messages of random bytes over 100 streams: each stream is refused, none crashes anything.
    const raw = new grpc.Client(fx.stack.collectorAddress, grpc.credentials.createInsecure());
    const statuses: number[] = [];
    for (let k = 0; k < 100; k++) {
      const call = raw.makeBidiStreamRequest<Buffer, Buffer>(
        '/virtoverhead.v1.Collector/Stream',
        (b) => b,
        (b) => b,
        new grpc.Metadata(),
      );
      call.on('data', () => {});
      call.on('error', () => {});
      const st = new Promise<number>((resolve) => call.on('status', (x: grpc.StatusObject) => resolve(x.code)));
      for (let j = 0; j < 10; j++) call.write(randomBytes(1 + ((k * 10 + j) % 200)));
      call.end();
      statuses.push(await st);
    }
    raw.close();
    expect(statuses.every((c) => c !== grpc.status.OK)).toBe(true);

    // After all of it, a fresh stream still works.
    const s2 = openStream(fx.client);
    s2.call.write({ hello: hello({ agent_id: 'fuzz' }) });
    await s2.waitFor((m) => Boolean(m.welcome));
    s2.call.write(validResult('fuzz-good-2'));
    await s2.waitFor((m) => Boolean(m.ack?.ids.includes('fuzz-good-2')));
    s2.close();

    const rows = await q(`SELECT "result_id" FROM "sysbench" WHERE "agent" = 'fuzz'`);
    expect(rows.map((r) => r.result_id).sort()).toEqual(['fuzz-good-1', 'fuzz-good-2']);
    expect(await q(`SELECT * FROM ${SAMPLES} WHERE "agent" = 'fuzz'`)).toHaveLength(0);
    expect(await q(`SELECT * FROM "agent_status" WHERE "agent" = 'fuzz'`)).toHaveLength(0);
    const fieldKeys = (await q('SHOW FIELD KEYS FROM "sysbench"')).map((r) => r.fieldKey as string);
    const allowed = new Set<string>([...RESULT_FIELDS, 'run_id', 'result_id', 'trial', 'threads', 'ok', 'error', 'content_hash', 'clock_skew_s']);
    for (const k of fieldKeys) expect(allowed.has(k), k).toBe(true);
    recordFigures('10 000 malformed messages (9 000 bad contents, 1 000 random bytes) + 2 valid', {
      sent: STRUCTURED + 1 + 1000 + 2,
      acknowledged: 2,
      stored: rows.length,
      spooled: 0,
      dropped: 0,
      rejected: rejects.length + 1000,
      lost: 0,
      duplicated: 0,
      note: `${rejects.length} Rejects (INVALID_ARGUMENT), 100/100 random-byte streams closed with an error; no bad point written`,
    });
  });

  it('tag-injection strings in every identity field: rejected or stored verbatim, never forging a point or a tag', async () => {
    const INJECT = [
      'a,b=c d',
      'x\ny',
      '"quoted"',
      "it's",
      'ends\\',
      '=',
      'k=v',
      ' lead and trail ',
      'a,agent=forged',
      'm x,y=z f=1 123',
      'é ü 漢',
      'x'.repeat(129),
      'x'.repeat(128),
      // Issue 23: C1 controls (U+009B is CSI) and bidi overrides reach a terminal: refused too.
      'x\u009b2Jy',
      'admin\u202egpj.exe',
      'a\u2066b\u2069',
    ];
    const HELLO_FIELDS = ['agent_id', 'hostname', 'group', 'variant'] as const;
    const RESULT_TAGS = ['profile', 'sysbench_version'] as const;
    const accepted: Array<{ field: string; value: string; id: string }> = [];
    let refused = 0;
    let n = 0;
    for (const value of INJECT) {
      for (const field of [...HELLO_FIELDS, ...RESULT_TAGS]) {
        const id = `inj-${n++}`;
        const isHello = (HELLO_FIELDS as readonly string[]).includes(field);
        const s = openStream(fx.client);
        // Each attempt gets its own agent id (unless agent_id is the field under test).
        s.call.write({ hello: hello({ agent_id: `inj-agent-${n}`, ...(isHello ? { [field]: value } : {}) }) });
        const first = await s
          .waitFor((m) => Boolean(m.welcome))
          .then(
            () => 'welcome' as const,
            () => 'closed' as const,
          );
        if (first === 'closed') {
          const st = await s.closed;
          expect(isHello).toBe(true);
          expect(st.code).toBe(grpc.status.INVALID_ARGUMENT);
          refused++;
          continue;
        }
        s.call.write(validResult(id, isHello ? {} : { [field]: value }));
        const answer = (
          await s
            .waitFor((m) => Boolean(m.ack || m.reject))
            .catch(async (e: Error) => {
              throw new Error(`${field}=${JSON.stringify(value)}: ${e.message} ${JSON.stringify(await s.closed)}`);
            })
        )[0]!;
        if (answer.ack) accepted.push({ field, value, id });
        else {
          expect(answer.reject!.code).toBe(grpc.status.INVALID_ARGUMENT);
          refused++;
        }
        s.close();
        await s.closed;
      }
    }
    // What the rules say: C0/C1 controls, bidi overrides and isolates, backslashes and > 128 bytes are refused; the rest is escaped.
    const shouldRefuse = (v: string, field: string) =>
      /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\\]/.test(v) ||
      Buffer.byteLength(v) > (field === 'profile' || field === 'sysbench_version' ? 64 : 128);
    for (const v of INJECT)
      for (const f of [...HELLO_FIELDS, ...RESULT_TAGS])
        expect(
          accepted.some((a) => a.value === v && a.field === f),
          `${f}=${JSON.stringify(v)}`,
        ).toBe(!shouldRefuse(v, f));

    const rows = await q(`SELECT * FROM "sysbench" WHERE "result_id" =~ /^inj-/`);
    expect(rows).toHaveLength(accepted.length); // one point per accepted result, no forged extra
    const tagOf: Record<string, string> = {
      agent_id: 'agent',
      hostname: 'host',
      group: 'group',
      variant: 'variant',
      profile: 'profile',
      sysbench_version: 'sysbench_version',
    };
    for (const a of accepted) {
      const row = rows.find((r) => r.result_id === a.id)!;
      expect(row, a.id).toBeDefined();
      expect(row[tagOf[a.field]!], `${a.field}`).toBe(a.value); // stored verbatim
    }
    const tagKeys = (await q('SHOW TAG KEYS FROM "sysbench"')).map((r) => r.tagKey).sort();
    expect(tagKeys).toEqual(['agent', 'container', 'group', 'host', 'kvm', 'profile', 'role', 'sysbench_version', 'test', 'variant', 'virt']);
    // Every stored tag value is one we sent (or a default), never a fragment of one.
    const sent = new Set([...INJECT, 'raw-host', 'rel', 'raw', '1.0.20', 'fuzz']);
    for (const key of ['host', 'group', 'variant', 'profile', 'sysbench_version']) {
      const values = (await q(`SHOW TAG VALUES FROM "sysbench" WITH KEY = "${key}"`)).map((r) => r.value as string);
      for (const v of values) expect(sent.has(v), `${key}=${JSON.stringify(v)}`).toBe(true);
    }
    const measurements = (await q('SHOW MEASUREMENTS')).map((r) => r.name);
    for (const m of measurements)
      expect([
        'sysbench',
        'sysbench_interval',
        'sysbench_interval_5m',
        'sysbench_interval_1d',
        'sysbench_1d',
        'sysbench_report_1d',
        'sysbench_report_7d',
        'rollup_filled',
        'agent_status',
        'overhead',
        'agent_info',
        'overhead_owed',
      ]).toContain(m);
    const series = await q(`SHOW SERIES FROM "sysbench"`);
    expect(series.length).toBe(new Set(rows.map((r) => `${r.agent}|${r.host}|${r.group}|${r.variant}|${r.profile}|${r.sysbench_version}`)).size + 1); // + the fuzz test's series
    recordFigures(`tag injection: ${INJECT.length} strings x 6 identity/tag fields`, {
      sent: INJECT.length * 6,
      acknowledged: accepted.length,
      stored: rows.length,
      spooled: 0,
      dropped: 0,
      rejected: refused,
      lost: 0,
      duplicated: 0,
      note: `${refused} refused with INVALID_ARGUMENT, ${accepted.length} stored verbatim; tag keys unchanged, no forged series`,
    });
  });
});
