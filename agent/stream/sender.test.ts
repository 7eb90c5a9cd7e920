// The agent's sender against a scripted collector: a real gRPC server in this process on
// 127.0.0.1 whose every answer (welcome, ack, reject, closing the stream) the test gives, and a
// real spool in a temp folder. The sender builds its own gRPC client, so a real server is the
// smallest honest counterpart; the real collector is the system tier's. Covered: hello and
// token, the window, acks and rejects against the spool, protocol 1 vs batches, reconnect and
// resend after a broken stream, the longer wait after a refusal, oversized records,
// heartbeats, drained() and stop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadContract, type AgentMessage__Output, type CollectorMessage } from '../../proto/index.js';
import { hello, result, sample, status as validStatus } from '../../test/support/messages.js';
import { Spool } from '../spool/spool.js';
import type { SpoolRecord } from '../spool/record.js';
import { Sender, SEND_WINDOW, type SenderOptions } from './sender.js';

type ServerCall = grpc.ServerDuplexStream<AgentMessage__Output, CollectorMessage>;

/** One stream the collector received: what came in, and how to answer. */
interface Served {
  call: ServerCall;
  authorization: string | undefined;
  received: AgentMessage__Output[];
  ended: boolean;
  send(m: CollectorMessage): void;
  welcome(protocol: number): void;
  /** Records received so far, by id, whether alone or in batches. */
  ids(): string[];
}

class ScriptedCollector {
  readonly streams: Served[] = [];
  private readonly server = new grpc.Server();
  /** Answers every hello with a welcome of this protocol version (null: the test answers). */
  autoWelcome: number | null = 2;
  address = '';

  async start(): Promise<void> {
    const { Collector } = loadContract().virtoverhead.v1;
    this.server.addService(Collector.service, {
      Stream: (call: ServerCall) => {
        const s: Served = {
          call,
          authorization: call.metadata.get('authorization')[0] as string | undefined,
          received: [],
          ended: false,
          send: (m) => call.write(m),
          welcome: (protocol) => call.write({ welcome: { protocol_version: protocol, collector_version: 'scripted' } }),
          ids: () =>
            s.received.flatMap((m) =>
              m.batch ? [...m.batch.results, ...m.batch.samples].map((r) => r.id) : m.result ? [m.result.id] : m.sample ? [m.sample.id] : [],
            ),
        };
        this.streams.push(s);
        call.on('data', (m: AgentMessage__Output) => {
          s.received.push(m);
          if (m.hello && this.autoWelcome !== null) s.welcome(this.autoWelcome);
        });
        call.on('end', () => (s.ended = true));
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.address = `127.0.0.1:${port}`;
  }

  stop(): void {
    this.server.forceShutdown();
  }

  last(): Served {
    return this.streams.at(-1)!;
  }
}

/** Waits (polling, real time) until the condition holds; fails with what was awaited. */
async function until(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A spool record holding a valid message; `pad` (an error line) makes a result as large as needed. */
function record(id: string, kind: 'result' | 'sample' = 'result', pad = ''): SpoolRecord {
  return { id, kind, body: kind === 'result' ? { ...result(id, { errors: pad ? [pad] : [] }) } : { ...sample(id) } };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  vi.restoreAllMocks();
});

/** A collector, a spool holding `ids`, and a started sender; everything stopped after the test. */
async function setup(ids: string[], opts: Partial<SenderOptions> & { autoWelcome?: number | null } = {}) {
  const collector = new ScriptedCollector();
  if (opts.autoWelcome !== undefined) collector.autoWelcome = opts.autoWelcome;
  await collector.start();
  cleanups.push(() => collector.stop());
  const dir = mkdtempSync(join(tmpdir(), 'vo-sender-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const spool = Spool.open(dir, { fsync: false });
  cleanups.push(() => spool.close());
  spool.append(ids.map((id) => record(id)));
  const logs: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(JSON.parse(chunk.toString()));
        cb();
      },
    }),
  );
  const rejects: Array<[string, string]> = [];
  let connections = 0;
  const sender = new Sender({
    address: collector.address,
    hello: hello(),
    tls: {},
    spool,
    log,
    backoffBaseMs: 20,
    onConnected: () => connections++,
    onReject: (id, reason) => rejects.push([id, reason]),
    ...opts,
  });
  cleanups.push(() => sender.stop());
  sender.start();
  return { collector, spool, sender, logs, rejects, connections: () => connections };
}

const pendingIds = (spool: Spool) => [...spool.pending()].map((r) => r.id);

describe('connecting', () => {
  it('opens with the hello and the bearer token; on the welcome, sends what the spool holds', async () => {
    const { collector, sender, connections } = await setup(['r1', 'r2'], { token: 'secret-token-0123456789', autoWelcome: null });
    await until('a stream', () => collector.streams.length === 1 && collector.last().received.length === 1);
    const s = collector.last();
    expect(s.authorization).toBe('Bearer secret-token-0123456789');
    expect(s.received[0]!.body).toBe('hello');
    expect(s.received[0]!.hello).toMatchObject({ agent_id: 'agent-1', group: 'rack-7', role: 'guest', protocol_version: 2 });
    expect(sender.isConnected()).toBe(false); // nothing is sent before the welcome
    s.welcome(2);
    await until('both records', () => s.ids().length === 2);
    expect(s.ids()).toEqual(['r1', 'r2']);
    expect(sender.isConnected()).toBe(true);
    expect(connections()).toBe(1);
  });

  it('without a token, no authorization header', async () => {
    const { collector } = await setup([]);
    await until('a stream', () => collector.streams.length === 1);
    expect(collector.last().authorization).toBeUndefined();
  });

  it('a protocol-1 collector gets one record per message, a protocol-2 one batches', async () => {
    const one = await setup(['a', 'b', 'c'], { autoWelcome: 1 });
    await until('3 records', () => one.collector.streams[0]?.ids().length === 3);
    expect(
      one.collector
        .last()
        .received.slice(1)
        .map((m) => m.body),
    ).toEqual(['result', 'result', 'result']);
    const two = await setup(['a', 'b', 'c'], { autoWelcome: 2 });
    await until('3 records', () => two.collector.streams[0]?.ids().length === 3);
    expect(
      two.collector
        .last()
        .received.slice(1)
        .map((m) => m.body),
    ).toEqual(['batch']);
    expect(two.collector.last().received[1]!.batch!.results.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('window and acks', () => {
  it('keeps at most `window` records in flight, oldest first; each ack lets the next go', async () => {
    const { collector, spool, sender } = await setup(['r1', 'r2', 'r3', 'r4', 'r5'], { window: 2, autoWelcome: 1 });
    await until('2 records', () => collector.streams[0]?.ids().length === 2);
    const s = collector.last();
    expect(s.ids()).toEqual(['r1', 'r2']);
    s.send({ ack: { ids: ['r2'] } }); // acks may come out of order
    await until('r3', () => s.ids().length === 3);
    expect(s.ids()).toEqual(['r1', 'r2', 'r3']);
    expect(pendingIds(spool)).toEqual(['r1', 'r3', 'r4', 'r5']); // the acked record left the spool
    s.send({ ack: { ids: ['r1', 'r3'] } });
    await until('r4, r5', () => s.ids().length === 5);
    expect(s.ids()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    const drained = sender.drained(15_000);
    s.send({ ack: { ids: ['r4', 'r5'] } });
    await expect(drained).resolves.toBe(true);
    expect(spool.stats().spooled).toBe(0);
  });

  it('without a window given, SEND_WINDOW records are in flight before the first ack, and one more after it', async () => {
    const ids = Array.from({ length: SEND_WINDOW + 10 }, (_, i) => `r${String(i).padStart(5, '0')}`);
    const { collector } = await setup(ids, { autoWelcome: 2 });
    await until(`${SEND_WINDOW} records`, () => collector.streams[0]?.ids().length === SEND_WINDOW);
    await new Promise((r) => setTimeout(r, 100)); // nothing more goes without an ack
    const s = collector.last();
    expect(SEND_WINDOW).toBe(1024);
    expect(s.ids()).toEqual(ids.slice(0, SEND_WINDOW));
    s.send({ ack: { ids: [ids[0]!] } });
    await until('one more', () => s.ids().length === SEND_WINDOW + 1);
    expect(s.ids().at(-1)).toBe(ids[SEND_WINDOW]);
  });

  it('delivered counts the spool records the collector acknowledged, once each; not heartbeats or unknown ids', async () => {
    const { collector, spool, sender } = await setup(['r1', 'r2'], { autoWelcome: 2 });
    await until('2 records', () => collector.streams[0]?.ids().length === 2);
    collector.last().send({ ack: { ids: ['r1', 'st9', 'nope'] } });
    await until('r1 acked', () => spool.stats().spooled === 1);
    expect(sender.delivered).toBe(1);
    collector.last().send({ ack: { ids: ['r1', 'r2'] } }); // r1 again
    await until('r2 acked', () => spool.stats().spooled === 0);
    expect(sender.delivered).toBe(2);
  });

  it('a record appended later goes out at the next pump()', async () => {
    const { collector, spool, sender } = await setup([], { autoWelcome: 2 });
    await until('connected', () => sender.isConnected());
    spool.append([record('late', 'sample')]);
    sender.pump();
    await until('late', () => collector.last().ids().includes('late'));
    expect(
      collector
        .last()
        .received.at(-1)!
        .batch!.samples.map((s) => s.id),
    ).toEqual(['late']);
  });

  it('a rejected record is dropped from the spool, counted, reported, and frees its place in the window', async () => {
    const { collector, spool, sender, rejects } = await setup(['bad', 'next'], { window: 1, autoWelcome: 1 });
    await until('bad', () => collector.streams[0]?.ids().length === 1);
    collector.last().send({ reject: { id: 'bad', code: grpc.status.INVALID_ARGUMENT, reason: 'result.test is not a known test' } });
    await until('next', () => collector.last().ids().length === 2);
    expect(collector.last().ids()).toEqual(['bad', 'next']);
    expect(rejects).toEqual([['bad', 'result.test is not a known test']]);
    expect(sender.rejected).toBe(1);
    expect(pendingIds(spool)).toEqual(['next']);
  });

  it('drained() says false when the records are not acknowledged in time', async () => {
    const { sender } = await setup(['r1']);
    await expect(sender.drained(50)).resolves.toBe(false);
  });
});

describe('broken streams', () => {
  it('reconnects after the collector fails the stream, says why, and resends what was not acked, oldest first', async () => {
    const { collector, spool, sender, connections } = await setup(['r1', 'r2', 'r3'], { autoWelcome: 1 });
    await until('3 records', () => collector.streams[0]?.ids().length === 3);
    collector.streams[0]!.send({ ack: { ids: ['r2'] } });
    await until('the ack to arrive', () => spool.stats().spooled === 2);
    collector.streams[0]!.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'collector restarting' });
    await until('a second stream with the unacked records', () => collector.streams.length === 2 && collector.streams[1]!.ids().length === 2);
    expect(collector.streams[1]!.received[0]!.body).toBe('hello'); // a new hello first
    expect(collector.streams[1]!.ids()).toEqual(['r1', 'r3']);
    expect(connections()).toBe(2);
    expect(sender.lastError).toBe(''); // cleared by the new welcome
  });

  it('a stream the collector ends cleanly is reconnected too', async () => {
    const { collector, logs } = await setup(['r1'], { autoWelcome: 1 });
    await until('r1', () => collector.streams[0]?.ids().length === 1);
    collector.streams[0]!.call.end();
    await until('a second stream', () => collector.streams.length === 2 && collector.streams[1]!.ids().length === 1);
    expect(logs.some((l) => l.error === 'stream ended' && l.msg === 'collector unreachable; results stay in the spool, retrying')).toBe(true);
  });

  it('an outage is retried within the backoff ceiling and logged as a warning', async () => {
    const { collector, sender, logs } = await setup([], { autoWelcome: null });
    await until('stream', () => collector.streams.length === 1);
    collector.last().call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'down' });
    await until('the log line', () => logs.some((l) => l.retryInMs !== undefined));
    const line = logs.find((l) => l.retryInMs !== undefined)!;
    expect(line).toMatchObject({ level: 40, error: 'UNAVAILABLE: down', msg: 'collector unreachable; results stay in the spool, retrying' });
    expect(line.retryInMs as number).toBeLessThanOrEqual(20); // first ceiling: backoffBaseMs
    expect(sender.lastError).toBe('UNAVAILABLE: down');
    await until('the reconnect', () => collector.streams.length === 2);
  });

  it('the backoff ceiling doubles per failure and starts again at each welcome', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1); // full jitter drawn at its top: every delay is the ceiling
    const { collector, sender, logs } = await setup([], { autoWelcome: null });
    const delays = () => logs.filter((l) => l.retryInMs !== undefined).map((l) => l.retryInMs);
    for (let n = 1; n <= 3; n++) {
      await until(`stream ${n}`, () => collector.streams.length === n);
      collector.last().call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'down' });
    }
    await until('stream 4', () => collector.streams.length === 4);
    collector.last().welcome(2);
    await until('connected', () => sender.isConnected());
    collector.last().call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'down' });
    await until('4 retries', () => delays().length === 4);
    expect(delays()).toEqual([20, 40, 80, 20]); // backoffBaseMs 20 · 2^k, reset by the welcome
  });

  it.each([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT])(
    'a refusal (status %i) waits 5 s more than the backoff and is logged as an error',
    async (code) => {
      const { collector, sender, logs } = await setup([], { autoWelcome: null });
      await until('stream', () => collector.streams.length === 1);
      collector.last().call.emit('error', { code, details: 'refused' });
      await until('the log line', () => logs.some((l) => l.retryInMs !== undefined));
      const line = logs.find((l) => l.retryInMs !== undefined)!;
      expect(line).toMatchObject({ level: 50, error: `${grpc.status[code]}: refused` });
      expect(line.retryInMs as number).toBeGreaterThanOrEqual(5000);
      expect(line.retryInMs as number).toBeLessThanOrEqual(5020);
      expect(sender.lastError).toBe(`${grpc.status[code]}: refused`);
    },
  );

  it('stop() closes the stream and never reconnects', async () => {
    const { collector, sender } = await setup([]);
    await until('connected', () => sender.isConnected());
    sender.stop();
    await until('the stream to end', () => collector.streams[0]!.ended || collector.streams[0]!.call.cancelled);
    await new Promise((r) => setTimeout(r, 200)); // well past the 20 ms backoff ceiling
    expect(collector.streams).toHaveLength(1);
  });
});

describe('oversized records and heartbeats', () => {
  it('a record over the 1 MiB message limit is dropped from the spool and reported, never sent', async () => {
    const { collector, spool, sender, rejects } = await setup([], { autoWelcome: 1 });
    spool.append([record('huge', 'result', 'x'.repeat(1024 * 1024)), record('small')]);
    await until('small', () => collector.streams[0]?.ids().includes('small') ?? false);
    expect(collector.last().ids()).toEqual(['small']);
    expect(rejects).toEqual([['huge', 'over the message size limit']]);
    expect(sender.rejected).toBe(1);
    expect(spool.stats().quarantined).toBe(1); // set aside, not lost
    expect(pendingIds(spool)).toEqual(['small']);
  });

  it('a record that cannot be encoded is set aside in quarantine; the records behind it still go', async () => {
    const { collector, spool, sender } = await setup([], { autoWelcome: 2 });
    spool.append([{ id: 'bad', kind: 'result', body: { ...result('bad'), fields: 'not a map' } }, record('good')]);
    sender.pump();
    await until('good', () => collector.streams[0]?.ids().includes('good') ?? false);
    expect(collector.last().ids()).toEqual(['good']);
    expect(sender.rejected).toBe(1);
    expect(spool.stats().quarantined).toBe(1);
    expect(pendingIds(spool)).toEqual(['good']);
  });

  it('sendStatus: false when not connected; true on the ack of its id; false without one in time', async () => {
    const { collector, sender } = await setup([], { autoWelcome: null });
    const status = validStatus('st1');
    await until('stream', () => collector.streams.length === 1 && collector.last().received.length === 1);
    await expect(sender.sendStatus(status, 60_000)).resolves.toBe(false); // at once: not welcomed yet
    collector.last().welcome(2);
    await until('connected', () => sender.isConnected());
    expect(collector.last().received.some((m) => m.status)).toBe(false); // nothing was sent before the welcome
    const acked = sender.sendStatus(status, 15_000);
    await until('the status', () => collector.last().received.some((m) => m.status?.id === 'st1'));
    collector.last().send({ ack: { ids: ['st1'] } });
    await expect(acked).resolves.toBe(true);
    await expect(sender.sendStatus({ ...status, id: 'st2' }, 50)).resolves.toBe(false);
    await expect(sender.sendStatus({ ...status, id: '' })).resolves.toBe(false); // no id: nothing to wait for
  });
});
