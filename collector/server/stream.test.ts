// One agent stream's handler, driven by a fake call (an EventEmitter with the few members the
// handler uses) and a fake writer whose acks the test gives, on fake timers. The real gRPC
// transport and a real InfluxDB are the system tier's (test/reliability, test/protocol-compat);
// here every rule of the handler is stepped exactly: hello first, authentication and its
// re-check after a token reload, acks only after the write, rejects, batches, rate limit,
// back-pressure and the end of the stream. Expected lines are written out by hand.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  PROTOCOL_VERSION,
  type AgentMessage__Output,
  type CollectorMessage,
  type Hello__Output,
  type AgentStatus__Output,
  type IntervalSample__Output,
  type Result__Output,
} from '../../proto/index.js';
import type { EncodedPoint } from '../influx/points.js';
import { PermanentWriteError, type BatchWriter, type Done } from '../influx/writer.js';
import { TokenBucket } from './ratelimit.js';
import { BUDGET_FORGET_AFTER_MS, TagBudgets } from './budget.js';
import { IdleMap } from '../../lib/idle-map.js';
import { handleStream, resumeStream, STREAM_MAX_UNANSWERED, type AgentCall, type StreamContext } from './stream.js';
import { RESULT_RATE } from '../../schema/bounds.js';
import { TokenTable } from './tokens.js';
import { hello, NOW_MS, NOW_NS, result, sample, status } from '../../test/support/messages.js';

const TOKEN = 'token-agent-1-0123456789';

/** The members of a grpc ServerDuplexStream the handler uses, recorded. */
class FakeCall extends EventEmitter {
  readonly metadata = new grpc.Metadata();
  cancelled = false;
  destroyed = false;
  paused = false;
  ended = false;
  readonly sent: CollectorMessage[] = [];
  /** What the handler closed the stream with (it emits 'error' with {code, details}). */
  status: { code: number; details: string } | null = null;
  constructor(authorization?: string) {
    super();
    if (authorization !== undefined) this.metadata.set('authorization', authorization);
    this.on('error', (e: grpc.ServiceError) => (this.status = { code: e.code, details: e.details }));
  }
  getPeer(): string {
    return 'ipv4:127.0.0.1:40000';
  }
  /** What write() answers: false = the agent does not read, the buffer is full. */
  writable = true;
  write(m: CollectorMessage): boolean {
    this.sent.push(m);
    return this.writable;
  }
  end(): void {
    this.ended = true;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  receive(m: AgentMessage__Output): void {
    this.emit('data', m);
  }
  acked(): string[] {
    return this.sent.flatMap((m) => m.ack?.ids ?? []);
  }
  rejects(): { id: string; code: number; reason: string }[] {
    return this.sent.filter((m) => m.reject).map((m) => m.reject as { id: string; code: number; reason: string });
  }
}

/** BatchWriter's two members the handler uses; each point waits for the test to answer it. */
class FakeWriter {
  readonly points: { line: string; done: Done; answered: boolean }[] = [];
  write(p: EncodedPoint, done: Done): void {
    this.points.push({ line: p.line, done, answered: false });
  }
  queued(): number {
    return this.points.filter((p) => !p.answered).length;
  }
  /** Issue 16: points held while InfluxDB refuses writes, reported in agent_status.collector_held. */
  held(): number {
    return 0;
  }
  answer(i: number, err?: Error): void {
    this.points[i]!.answered = true;
    this.points[i]!.done(err);
  }
  lines(): string[] {
    return this.points.map((p) => p.line);
  }
}

const m = {
  hello: (h: Hello__Output = hello()): AgentMessage__Output => ({ hello: h, body: 'hello' }),
  result: (r: Result__Output): AgentMessage__Output => ({ result: r, body: 'result' }),
  sample: (s: IntervalSample__Output): AgentMessage__Output => ({ sample: s, body: 'sample' }),
  batch: (results: Result__Output[], samples: IntervalSample__Output[] = []): AgentMessage__Output => ({ batch: { results, samples }, body: 'batch' }),
  status: (st: AgentStatus__Output): AgentMessage__Output => ({ status: st, body: 'status' }),
};

// The series keys of agent-1's points, tags sorted by name (line protocol, written out by hand).
const RESULT_KEY =
  'sysbench,agent=agent-1,container=none,group=rack-7,host=host-1,kvm=usable,profile=quick,role=guest,sysbench_version=1.0.20,test=cpu,variant=default,virt=kvm';
const SAMPLE_KEY = RESULT_KEY.replace('sysbench,', 'sysbench_interval,');
/** Issue 16's content_hash, from its definition: SHA-256 of "key fields timestamp", base64url, 22 characters (128 bits). */
const hashOf = (key: string, fields: string, ts: string) => createHash('sha256').update(`${key} ${fields} ${ts}`).digest('base64url').slice(0, 22);

interface Opened {
  call: FakeCall;
  writer: FakeWriter;
  ctx: StreamContext;
  /** What the server's isPressured() answers from now on. */
  setPressured(on: boolean): void;
}

function open(
  opts: {
    tokens?: TokenTable | null;
    authorization?: string;
    rate?: number;
    burst?: number;
    pressured?: boolean;
    buckets?: IdleMap<string, TokenBucket>;
    budgets?: TagBudgets;
  } = {},
): Opened {
  const call = new FakeCall(opts.authorization);
  const writer = new FakeWriter();
  let tokens = opts.tokens ?? null;
  const ctx: StreamContext & { setTokens(t: TokenTable | null): void } = {
    writer: writer as unknown as BatchWriter,
    tokens: () => tokens,
    setTokens: (t) => (tokens = t),
    log: pino({ level: 'silent' }),
    collectorVersion: '9.9.9',
    ratePerSec: opts.rate ?? 1e6,
    burst: opts.burst ?? 1e6,
    open: new Set<AgentCall>(),
    isPressured: () => pressured,
    buckets: opts.buckets,
    budgets: opts.budgets,
  };
  let pressured = opts.pressured ?? false;
  handleStream(call as unknown as AgentCall, ctx);
  return { call, writer, ctx, setPressured: (on) => (pressured = on) };
}

/** Opened and welcomed. */
function welcomed(opts: Parameters<typeof open>[0] = {}): Opened {
  const o = open(opts);
  o.call.receive(m.hello());
  expect(o.call.sent[0]?.welcome, 'welcome').toBeTruthy();
  return o;
}

const acksGoOut = () => vi.advanceTimersByTimeAsync(0); // acks of one tick leave together on setImmediate

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW_MS);
});
afterEach(() => vi.useRealTimers());

describe('hello', () => {
  it("a valid hello is welcomed with this build's protocol version and the collector's version", () => {
    const { call, ctx } = open();
    expect(ctx.open.has(call as unknown as AgentCall)).toBe(true);
    call.receive(m.hello());
    expect(call.sent).toEqual([{ welcome: { protocol_version: PROTOCOL_VERSION, collector_version: '9.9.9' } }]);
    expect(call.status).toBeNull();
  });

  it('anything else first closes the stream with INVALID_ARGUMENT; later messages are ignored', () => {
    const { call, writer } = open();
    call.receive(m.result(result('r1')));
    expect(call.status).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: 'the first message must be a hello' });
    call.receive(m.hello());
    call.receive(m.result(result('r2')));
    expect(call.sent).toEqual([]);
    expect(writer.points).toEqual([]);
  });

  it('an invalid hello closes the stream with the validation message', () => {
    const { call } = open();
    call.receive(m.hello(hello({ role: 'host' })));
    expect(call.status).toEqual({ code: grpc.status.INVALID_ARGUMENT, details: "hello.role 'host' is not one of baseline, guest" });
  });

  it('no hello within 10 s: DEADLINE_EXCEEDED', async () => {
    const { call } = open();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(call.status).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(call.status).toEqual({ code: grpc.status.DEADLINE_EXCEEDED, details: 'no hello within 10 s' });
  });

  it('a hello in time stops the deadline', async () => {
    const { call } = open();
    call.receive(m.hello());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(call.status).toBeNull();
  });
});

describe('authentication with a token table', () => {
  const table = () => new TokenTable([{ token: TOKEN, agent: 'agent-1', group: 'rack-7' }]);

  it('the right bearer token for this agent and group is welcomed', () => {
    const { call } = open({ tokens: table(), authorization: `Bearer ${TOKEN}` });
    call.receive(m.hello());
    expect(call.sent[0]?.welcome).toBeTruthy();
  });

  it.each([
    [undefined, 'missing token: send "authorization: Bearer <token>" (agent --token-file)'],
    [`Basic ${TOKEN}`, 'missing token: send "authorization: Bearer <token>" (agent --token-file)'],
    ['Bearer', 'missing token: send "authorization: Bearer <token>" (agent --token-file)'],
    [`Bearer${TOKEN}`, 'missing token: send "authorization: Bearer <token>" (agent --token-file)'],
    ['Bearer not-the-token-0123456789', 'unknown token'],
  ])('authorization %j → UNAUTHENTICATED', (authorization, details) => {
    const { call } = open({ tokens: table(), authorization });
    call.receive(m.hello());
    expect(call.status).toEqual({ code: grpc.status.UNAUTHENTICATED, details });
    expect(call.sent).toEqual([]);
  });

  it('a valid token used for another agent or group: PERMISSION_DENIED', () => {
    for (const h of [hello({ agent_id: 'agent-2' }), hello({ group: 'rack-8' })]) {
      const { call } = open({ tokens: table(), authorization: `Bearer ${TOKEN}` });
      call.receive(m.hello(h));
      expect(call.status).toEqual({ code: grpc.status.PERMISSION_DENIED, details: "this token may write only as agent 'agent-1' in group 'rack-7'" });
    }
  });

  it('without a token table anyone is welcomed', () => {
    const { call } = open({ tokens: null });
    call.receive(m.hello());
    expect(call.sent[0]?.welcome).toBeTruthy();
  });

  it('a reloaded table is checked at the next message: a revoked token writes nothing more', () => {
    const o = welcomed({ tokens: table(), authorization: `Bearer ${TOKEN}` });
    const ctx = o.ctx as StreamContext & { setTokens(t: TokenTable | null): void };
    o.call.receive(m.result(result('r1')));
    expect(o.writer.points).toHaveLength(1);
    ctx.setTokens(new TokenTable([{ token: TOKEN, agent: 'agent-1', group: 'rack-7' }])); // reloaded, unchanged
    o.call.receive(m.result(result('r2')));
    expect(o.writer.points).toHaveLength(2);
    expect(o.call.status).toBeNull();
    ctx.setTokens(new TokenTable([{ token: 'someone-else-0123456789', agent: 'agent-9', group: 'g' }])); // revoked
    o.call.receive(m.result(result('r3')));
    expect(o.call.status).toEqual({ code: grpc.status.UNAUTHENTICATED, details: 'unknown token' });
    expect(o.writer.points).toHaveLength(2);
  });

  it('a reload that moves the token to another group closes the stream with PERMISSION_DENIED', () => {
    const o = welcomed({ tokens: table(), authorization: `Bearer ${TOKEN}` });
    (o.ctx as StreamContext & { setTokens(t: TokenTable | null): void }).setTokens(new TokenTable([{ token: TOKEN, agent: 'agent-1', group: 'rack-8' }]));
    o.call.receive(m.result(result('r1')));
    expect(o.call.status?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(o.writer.points).toEqual([]);
  });
});

describe('records', () => {
  it("a result becomes one line of the agent's series, acked only after the writer accepted it", async () => {
    const { call, writer } = welcomed();
    call.receive(m.result(result('r1')));
    const fields = 'events_per_sec=100,run_id="run-1",result_id="r1",trial=1,threads=1,ok=true';
    expect(writer.lines()).toEqual([`${RESULT_KEY} ${fields},content_hash="${hashOf(RESULT_KEY, fields, NOW_NS)}" ${NOW_NS}`]);
    await acksGoOut();
    expect(call.acked()).toEqual([]);
    writer.answer(0);
    expect(call.acked()).toEqual([]); // not in the same tick: acks are gathered first
    await acksGoOut();
    expect(call.acked()).toEqual(['r1']);
  });

  it('a sample becomes a line of sysbench_interval', () => {
    const { call, writer } = welcomed();
    call.receive(m.sample(sample('s1')));
    const fields = 'elapsed_s=1,events_per_sec=99.5,run_id="run-1",sample_id="s1",trial=1';
    expect(writer.lines()).toEqual([`${SAMPLE_KEY} ${fields},content_hash="${hashOf(SAMPLE_KEY, fields, NOW_NS)}" ${NOW_NS}`]);
  });

  it('acks written in one tick leave in one Ack message, in the order they were accepted', async () => {
    const { call, writer } = welcomed();
    for (const id of ['a', 'b', 'c']) call.receive(m.result(result(id)));
    writer.answer(2);
    writer.answer(0);
    await acksGoOut();
    writer.answer(1);
    await acksGoOut();
    expect(call.sent.slice(1)).toEqual([{ ack: { ids: ['c', 'a'] } }, { ack: { ids: ['b'] } }]);
  });

  it('a point InfluxDB refused for good is rejected by id with the reason; the agent drops it', async () => {
    const { call, writer } = welcomed();
    call.receive(m.result(result('r1')));
    writer.answer(0, new PermanentWriteError('InfluxDB refused the point: type conflict'));
    await acksGoOut();
    expect(call.rejects()).toEqual([{ id: 'r1', code: grpc.status.INVALID_ARGUMENT, reason: 'InfluxDB refused the point: type conflict' }]);
    expect(call.acked()).toEqual([]);
  });

  it('a point not stored for another reason (shutdown) is neither acked nor rejected: the agent resends it', async () => {
    const { call, writer } = welcomed();
    call.receive(m.result(result('r1')));
    writer.answer(0, new Error('collector shut down before InfluxDB accepted this point'));
    await acksGoOut();
    expect(call.sent.slice(1)).toEqual([]);
  });

  it('an invalid record is rejected with its id and reason, nothing is written, the stream goes on', async () => {
    const { call, writer } = welcomed();
    call.receive(m.result(result('bad', { test: 'oltp' })));
    call.receive(m.result(result('good')));
    writer.answer(0);
    await acksGoOut();
    expect(call.rejects()).toEqual([
      { id: 'bad', code: grpc.status.INVALID_ARGUMENT, reason: "result.test 'oltp' is not one of cpu, threads, fileio, memory, mutex" },
    ]);
    expect(writer.points).toHaveLength(1);
    expect(call.acked()).toEqual(['good']);
    expect(call.status).toBeNull();
  });

  it('a record without a usable id is rejected as "?"; a long id is cut to 256 characters in the reject', () => {
    const { call } = welcomed();
    call.receive(m.result(result('')));
    call.receive(m.result(result(7 as unknown as string)));
    call.receive(m.result(result('x'.repeat(300), { trial: 0 })));
    expect(call.rejects()).toEqual([
      { id: '?', code: grpc.status.INVALID_ARGUMENT, reason: 'id is empty' },
      { id: '?', code: grpc.status.INVALID_ARGUMENT, reason: 'id is empty' },
      { id: 'x'.repeat(256), code: grpc.status.INVALID_ARGUMENT, reason: 'id is longer than 256 bytes' },
    ]);
  });

  it('a second hello and an empty message are rejected, not fatal', () => {
    const { call } = welcomed();
    call.receive({ hello: { ...hello(), id: 'h2' } as Hello__Output, body: 'hello' });
    call.receive({ body: undefined });
    expect(call.rejects()).toEqual([
      { id: 'h2', code: grpc.status.INVALID_ARGUMENT, reason: 'hello sent twice' },
      { id: '?', code: grpc.status.INVALID_ARGUMENT, reason: 'id is empty' },
    ]);
    call.receive({ result: null, body: 'result' });
    expect(call.rejects()).toHaveLength(3);
    expect(call.status).toBeNull();
  });

  it('a status heartbeat is written as agent_status and acked', async () => {
    const { call, writer } = welcomed();
    call.receive({
      status: status('st1', { spooled: '3', rejected: '1' }),
      body: 'status',
    });
    // History too: content_hash over what the agent reported; collector_held (ours) outside it.
    const key = 'agent_status,agent=agent-1,container=none,group=rack-7,host=host-1,kvm=usable,role=guest,variant=default,virt=kvm';
    const fields = 'spooled=3,dropped=0,corrupt=0,rejected=1,last_run_ok=true,state="idle"';
    const hash = createHash('sha256').update(`${key} ${fields} 1750000000000000000`).digest('base64url').slice(0, 22);
    expect(writer.lines()).toEqual([`${key} ${fields},content_hash="${hash}",collector_held=0 1750000000000000000`]);
    writer.answer(0);
    await acksGoOut();
    expect(call.acked()).toEqual(['st1']);
  });
});

describe('batches (protocol 2)', () => {
  it('each record is validated, written and acked on its own; a bad one is rejected alone', async () => {
    const { call, writer } = welcomed();
    call.receive(m.batch([result('r1'), result('r2', { fields: { events_per_sec: -5 } })], [sample('s1')]));
    expect(writer.lines().map((l) => l.split(' ')[0]!.split(',')[0])).toEqual(['sysbench', 'sysbench_interval']);
    writer.answer(0);
    writer.answer(1);
    await acksGoOut();
    expect(call.acked()).toEqual(['r1', 's1']);
    expect(call.rejects()).toEqual([
      { id: 'r2', code: grpc.status.INVALID_ARGUMENT, reason: 'result: field events_per_sec = -5 is out of range 0 .. 100000000000 events/s' },
    ]);
  });

  it('1000 records is the most a batch may carry; 1001 are all rejected and none written', () => {
    const { call, writer } = welcomed();
    const samples = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => sample(`${prefix}${i}`));
    call.receive(m.batch([result('r0')], samples(999, 'ok-')));
    expect(writer.points).toHaveLength(1000);
    call.receive(m.batch([result('big-r')], samples(1000, 'big-')));
    expect(writer.points).toHaveLength(1000);
    const rejects = call.rejects();
    expect(rejects).toHaveLength(1001);
    expect(rejects[0]).toEqual({ id: 'big-r', code: grpc.status.INVALID_ARGUMENT, reason: 'a batch may carry at most 1000 records, this one has 1001' });
    expect(rejects[1000]!.id).toBe('big-999');
  });
});

describe('rate limit and back-pressure', () => {
  it('past the burst the stream is paused until its tokens are repaid (10/s: 100 ms per record)', async () => {
    const { call } = open({ rate: 10, burst: 2 });
    call.receive(m.hello()); // 1 token
    call.receive(m.result(result('r1'))); // 2: the burst is used up
    expect(call.paused).toBe(false);
    call.receive(m.result(result('r2'))); // borrows one: 100 ms of debt
    expect(call.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(99);
    expect(call.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.paused).toBe(false);
  });

  it('a batch costs one token per record', async () => {
    const { call } = open({ rate: 10, burst: 2 });
    call.receive(m.hello());
    call.receive(m.batch([result('r1'), result('r2'), result('r3')], [sample('s1')])); // 4 records: 3 borrowed, 300 ms
    await vi.advanceTimersByTimeAsync(299);
    expect(call.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.paused).toBe(false);
  });

  it("an agent's second stream shares its bucket and gains no rate", () => {
    const buckets = new IdleMap<string, TokenBucket>({ idleMs: 86_400_000, max: 100 });
    const first = open({ rate: 10, burst: 3, buckets });
    first.call.receive(m.hello()); // bucket of agent-1: 2 left
    first.call.receive(m.result(result('r1'))); // 1 left
    const second = open({ rate: 10, burst: 3, buckets });
    second.call.receive(m.hello()); // the new stream's own bucket pays for its hello, then agent-1's is used
    second.call.receive(m.result(result('r2'))); // 0 left
    expect(second.call.paused).toBe(false);
    second.call.receive(m.result(result('r3'))); // borrows
    expect(second.call.paused).toBe(true);
    expect(buckets.size).toBe(2); // agent-1's messages and its results (RESULT_RATE)
  });

  // Issue 26: a departed agent's buckets leave memory; an agent heard from keeps them.
  it('the buckets of an agent not heard from for the forget time are forgotten; an active one keeps its buckets, shared, even on a stream idle that long', () => {
    let t = 0;
    const DAY = 86_400_000;
    const buckets = new IdleMap<string, TokenBucket>({ idleMs: DAY, max: 100, now: () => t });
    const gone = open({ rate: 10, burst: 5, buckets });
    gone.call.receive(m.hello(hello({ agent_id: 'gone' })));
    gone.call.emit('end');
    const active = open({ rate: 10, burst: 5, buckets });
    active.call.receive(m.hello()); // agent-1: 4 left
    t = DAY - 1;
    active.call.receive(m.status(status(`st-${t}`))); // 3 left
    expect(buckets.has('gone') && buckets.has('results\0gone')).toBe(true);
    t = DAY;
    active.call.receive(m.status(status(`st-${t}`))); // 2 left; any message sweeps: 'gone' was idle a day
    expect(buckets.has('gone') || buckets.has('results\0gone')).toBe(false);
    expect(buckets.size).toBe(2);
    // agent-1's stream stays open, silent for two days: its buckets are forgotten too...
    t = 3 * DAY;
    buckets.sweep();
    expect(buckets.size).toBe(0);
    // ...and its next message puts the stream's own back, so a second stream of agent-1 shares them
    // (a new bucket of its own would have 3 left after r2 and r3, and not pause it).
    active.call.receive(m.result(result('r1'))); // 1 left
    const second = open({ rate: 10, burst: 5, buckets });
    second.call.receive(m.hello()); // paid by its own bucket
    second.call.receive(m.result(result('r2'))); // 0 left
    expect(second.call.paused).toBe(false);
    second.call.receive(m.result(result('r3'))); // borrows from the shared bucket
    expect(second.call.paused).toBe(true);
  });

  it(`results have their own bucket (${RESULT_RATE.perSec}/s, burst ${RESULT_RATE.burst}): past it the stream pauses however high the message rate`, async () => {
    const { call, writer } = welcomed();
    const batch = (from: number) => m.batch(Array.from({ length: 1000 }, (_, k) => result(`r${from + k}`)));
    for (let i = 0; i < RESULT_RATE.burst; i += 1000) {
      call.receive(batch(i));
      // answered at once: only the result bucket may pause it
      writer.points.forEach((_, k) => writer.points[k]!.answered || writer.answer(k));
      expect(call.paused).toBe(false);
    }
    call.receive(m.result(result('one-more'))); // borrows one: 1000 / RESULT_RATE.perSec ms of debt
    expect(call.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(1000 / RESULT_RATE.perSec - 1);
    expect(call.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.paused).toBe(false);
  });

  it('refused results do not count against the results rate (they owe no computation): a malformed flood is not paused by it', () => {
    const { call, writer } = welcomed();
    const bad = (from: number) => m.batch(Array.from({ length: 1000 }, (_, k) => result(`bad${from + k}`, { trial: 0 })));
    for (let i = 0; i < 3 * RESULT_RATE.burst; i += 1000) call.receive(bad(i));
    expect(writer.points).toHaveLength(0);
    expect(call.paused).toBe(false);
    // The valid ones still have their whole burst.
    call.receive(m.batch(Array.from({ length: RESULT_RATE.burst }, (_, k) => result(`ok${k}`))));
    writer.points.forEach((_, k) => writer.points[k]!.answered || writer.answer(k));
    expect(call.paused).toBe(false);
    call.receive(m.result(result('one-more')));
    expect(call.paused).toBe(true);
  });

  it(`a stream with ${STREAM_MAX_UNANSWERED} records unanswered stops reading until half are answered; relief does not resume it before`, async () => {
    const { call, writer } = welcomed();
    const samples = (from: number) =>
      m.batch(
        [],
        Array.from({ length: 1000 }, (_, k) => sample(`s${from + k}`)),
      );
    for (let i = 0; i < STREAM_MAX_UNANSWERED - 1000; i += 1000) call.receive(samples(i));
    expect(call.paused).toBe(false);
    call.receive(samples(STREAM_MAX_UNANSWERED - 1000));
    expect(call.paused).toBe(true);
    resumeStream(call as unknown as AgentCall); // the server's relief: the stream's own cap still holds it
    expect(call.paused).toBe(true);
    for (let k = 0; k < STREAM_MAX_UNANSWERED / 2 - 1; k++) writer.answer(k);
    expect(call.paused).toBe(true);
    writer.answer(STREAM_MAX_UNANSWERED / 2 - 1);
    expect(call.paused).toBe(false);
    await acksGoOut();
    expect(call.acked()).toHaveLength(STREAM_MAX_UNANSWERED / 2);
  });

  it('a stream opened while the writer is behind starts paused, and the rate limit does not resume it', async () => {
    const { call } = open({ rate: 10, burst: 1, pressured: true });
    expect(call.paused).toBe(true);
    call.receive(m.hello());
    call.receive(m.result(result('r1'))); // borrows: the rate limit would pause, then resume
    await vi.advanceTimersByTimeAsync(1000);
    expect(call.paused).toBe(true); // only relief (the server) resumes it
  });

  it('pressure that begins during a rate-limit pause keeps the stream paused when the pause ends', async () => {
    const { call, setPressured } = open({ rate: 10, burst: 1 });
    call.receive(m.hello());
    call.receive(m.result(result('r1'))); // borrows: paused for 100 ms
    expect(call.paused).toBe(true);
    setPressured(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(call.paused).toBe(true);
  });
});

describe('end of stream', () => {
  it('the agent closing its side: the stream is ended once the writer has nothing queued', async () => {
    const { call, writer, ctx } = welcomed();
    call.receive(m.result(result('r1')));
    call.emit('end');
    expect(ctx.open.size).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(call.ended).toBe(false); // r1 is still being written
    writer.answer(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(call.ended).toBe(true);
  });

  // Found by this test: 'end' used to set `ended` before the owed acks left, so they never did.
  it('the agent closing its side: acks still owed go out before the end', async () => {
    const { call, writer } = welcomed();
    call.receive(m.result(result('r1')));
    call.emit('end');
    writer.answer(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(call.acked()).toEqual(['r1']);
  });

  it('a cancelled call leaves the open set and stops the hello deadline', async () => {
    const { call, ctx } = open();
    call.emit('cancelled');
    expect(ctx.open.size).toBe(0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(call.status).toBeNull();
  });

  it('nothing is sent on a cancelled call', async () => {
    const { call, writer } = welcomed();
    call.receive(m.result(result('r1')));
    call.cancelled = true;
    writer.answer(0);
    await acksGoOut();
    expect(call.sent).toHaveLength(1); // the welcome only
  });
});

describe('an agent that does not read its answers', () => {
  it('reading pauses once the answers fill the buffer, and resumes when it drains', async () => {
    const { call, writer } = welcomed();
    call.writable = false;
    call.receive(m.result(result('r1')));
    call.receive(m.result(result('r2')));
    writer.answer(0);
    await acksGoOut(); // the ack does not fit: pause
    expect(call.paused).toBe(true);
    writer.answer(1);
    await acksGoOut(); // still full: one wait for one drain, not two
    expect(call.listenerCount('drain')).toBe(1);
    expect(call.acked()).toEqual(['r1', 'r2']); // handed to gRPC, which buffers them
    call.writable = true;
    call.emit('drain');
    expect(call.paused).toBe(false);
    call.writable = false; // full again later: paused again
    call.receive(m.result(result('r3')));
    writer.answer(2);
    await acksGoOut();
    expect(call.paused).toBe(true);
  });

  it('a drain while the writer is behind leaves the stream paused (relief resumes it)', async () => {
    const { call, writer, setPressured } = welcomed();
    call.writable = false;
    call.receive(m.result(result('r1')));
    writer.answer(0);
    await acksGoOut();
    setPressured(true);
    call.emit('drain');
    expect(call.paused).toBe(true);
  });

  it('the end of a rate-limit pause does not resume a stream waiting for its answers to drain', async () => {
    const { call, writer } = open({ rate: 10, burst: 2 });
    call.receive(m.hello());
    call.writable = false;
    call.receive(m.result(result('r1')));
    call.receive(m.result(result('r2'))); // borrows: paused for 100 ms
    writer.answer(0);
    await acksGoOut(); // and the ack does not fit
    await vi.advanceTimersByTimeAsync(1000);
    expect(call.paused).toBe(true);
    call.emit('drain');
    expect(call.paused).toBe(false);
  });
});

// Issue 23 item 1: distinct tag values and series per credential, shared by its streams.
describe('tag budgets', () => {
  it('a credential past its budget of profile names gets RESOURCE_EXHAUSTED for the new one; known names and other agents go on', async () => {
    const budgets = new TagBudgets();
    const { call, writer } = welcomed({ budgets });
    for (let i = 0; i < 64; i++) call.receive(m.result(result(`r${i}`, { profile: `p${i}` })));
    call.receive(m.result(result('r64', { profile: 'p64' })));
    call.receive(m.result(result('again', { profile: 'p3' })));
    expect(writer.points).toHaveLength(65);
    expect(call.rejects()).toEqual([
      {
        id: 'r64',
        code: grpc.status.RESOURCE_EXHAUSTED,
        reason:
          "agent 'agent-1' in group 'rack-7' has used its budget of 64 distinct profile values: profile 'p64' is refused (docs/schema.md, \"What an agent may send\")",
      },
    ]);
    // A second stream of the same credential shares the budget; another agent has its own.
    const again = open({ budgets });
    again.call.receive(m.hello());
    again.call.receive(m.sample(sample('s-new', { profile: 'p65' })));
    expect(again.call.rejects()[0]!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const other = open({ budgets });
    other.call.receive(m.hello(hello({ agent_id: 'agent-2' })));
    other.call.receive(m.result(result('o1', { profile: 'p64' })));
    expect(other.call.rejects()).toEqual([]);
    expect(other.writer.points).toHaveLength(1);
  });

  // Issue 26: the counts are forgotten only after 30 days without a word from the credential.
  it('the budget holds against an agent that leaves and comes back within 30 days; a credential silent 30 days is forgotten (and may spend again)', () => {
    let t = 0;
    const budgets = new TagBudgets(undefined, undefined, undefined, () => t);
    const first = open({ budgets });
    first.call.receive(m.hello());
    for (let i = 0; i < 63; i++) first.call.receive(m.result(result(`r${i}`, { profile: `p${i}` })));
    first.call.emit('end');
    // Other agents keep the collector busy meanwhile (each admit sweeps).
    t = BUDGET_FORGET_AFTER_MS - 1;
    const other = open({ budgets });
    other.call.receive(m.hello(hello({ agent_id: 'agent-2' })));
    expect(budgets.size).toBe(2);
    const back = open({ budgets });
    back.call.receive(m.hello());
    back.call.receive(m.result(result('back-1', { profile: 'p63' }))); // the 64th: within the budget
    back.call.receive(m.result(result('back-2', { profile: 'p64' }))); // the 65th
    expect(back.call.rejects().map((r) => [r.id, r.code])).toEqual([['back-2', grpc.status.RESOURCE_EXHAUSTED]]);
    back.call.emit('end');
    // 30 days without a word from agent-1 (agent-2 heard from since): its counts go.
    t += BUDGET_FORGET_AFTER_MS - 1;
    other.call.receive(m.result(result('o1')));
    expect(budgets.size).toBe(2);
    t += 1;
    other.call.receive(m.result(result('o2')));
    expect(budgets.size).toBe(1);
    const later = open({ budgets });
    later.call.receive(m.hello());
    later.call.receive(m.result(result('later', { profile: 'p64' })));
    expect(later.call.rejects()).toEqual([]);
  });

  it('a hello with a ninth host name for one credential closes that stream with RESOURCE_EXHAUSTED', () => {
    const budgets = new TagBudgets();
    for (let i = 0; i < 8; i++) {
      const o = open({ budgets });
      o.call.receive(m.hello(hello({ hostname: `h${i}` })));
      expect(o.call.status).toBeNull();
    }
    const o = open({ budgets });
    o.call.receive(m.hello(hello({ hostname: 'h8' })));
    expect(o.call.status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(o.call.status?.details).toMatch(/budget of 8 distinct host values: host 'h8' is refused/);
  });

  it('series: past 1000 distinct series the new one is refused, all or nothing (a refused record spends nothing)', () => {
    const budgets = new TagBudgets({ profile: 1e6, sysbench_version: 1e6 });
    const { call } = welcomed({ budgets });
    // 5 tests x 200 profiles = 1000 series of sysbench.
    for (let p = 0; p < 200; p++)
      for (const test of ['cpu', 'threads', 'fileio', 'memory', 'mutex']) call.receive(m.result(result(`r-${p}-${test}`, { profile: `p${p}`, test })));
    expect(call.rejects()).toEqual([]);
    call.receive(m.result(result('r-over', { profile: 'p200' })));
    expect(call.rejects()[0]!.reason).toMatch(/budget of 1000 distinct series/);
  });
});

describe("the agent's clock (Hello.clock_ns)", () => {
  it('an agent clock 40 days behind: every record is stored with clock_skew_s, however plausible its own time', async () => {
    const { call, writer } = open();
    const behind = String(BigInt(NOW_MS - 40 * 86_400_000) * 1_000_000n);
    call.receive(m.hello(hello({ clock_ns: behind })));
    call.receive(m.result(result('r1', { timestamp_ns: behind })));
    call.receive(m.sample(sample('s1', { timestamp_ns: behind })));
    expect(writer.lines()[0]).toMatch(/,clock_skew_s=-3456000 /);
    expect(writer.lines()[1]).toMatch(/,clock_skew_s=-3456000 /);
  });

  it('an agent clock within the hour: only implausible records are flagged', () => {
    const { call, writer } = open();
    call.receive(m.hello(hello({ clock_ns: String(BigInt(NOW_MS - 3_000_000) * 1_000_000n) })));
    call.receive(m.result(result('r1')));
    call.receive(m.result(result('r2', { timestamp_ns: String(BigInt(NOW_MS + 3 * 86_400_000) * 1_000_000n) })));
    expect(writer.lines()[0]).not.toMatch(/clock_skew_s/);
    expect(writer.lines()[1]).toMatch(/,clock_skew_s=259200 /);
  });
});
