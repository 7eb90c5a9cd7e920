// The batch writer through its `post` seam: a hand-driven fake InfluxDB that holds each request
// until the test answers it, and fake timers, so batching, retry delays, isolation of a bad
// point, back-pressure and close are stepped exactly: each request records the fake clock's time,
// so delays are checked as exact differences of that clock, never against the wall clock. (The
// real HTTP path, lineWriter against a real influxd, is covered by the system tier.) Every
// expected count and delay is worked out by hand.
import type { IPoint } from 'influx';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HistoryConflictError, HistoryGuard, type Stamp } from './history.js';
import { InfluxWriteError, type RawQuery } from './http.js';
import { BatchWriter, isPermanent, PermanentWriteError, type WriterOptions } from './writer.js';

interface Request {
  body: string;
  /** The retention policy the write named (undefined: the database's default). */
  policy?: string;
  /** Fake-clock time at which the writer posted it. */
  at: number;
  resolve(): void;
  reject(err: Error): void;
}

/** InfluxDB's /write as the writer sees it: every request waits for the test, unless `answer` decides at once. */
class FakeInflux {
  requests: Request[] = [];
  answer: ((body: string) => Error | undefined) | null = null;
  readonly post = (body: string, policy?: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const verdict = this.answer?.(body);
      this.requests.push({ body, policy, at: Date.now(), resolve, reject });
      if (this.answer) {
        if (verdict) reject(verdict);
        else resolve();
      }
    });
  /** Bodies posted so far, as lists of lines. */
  bodies(): string[][] {
    return this.requests.map((r) => r.body.split('\n'));
  }
}

const log = pino({ level: 'silent' });
/**
 * Lets the writer run what is due now: its promise callbacks and its zero-delay timers. The fake
 * clock gives a zero-delay timer set inside a tick 1 ms, so step 1 ms at a time, a few times.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(1);
}
const down = (status: number | null = 503) => new InfluxWriteError(`InfluxDB answered ${status}: down`, status);

/** A writer plus a record of every point's outcome by its line: 'ok', or the error's message. */
function setup(opts: Partial<WriterOptions> = {}) {
  const influx = new FakeInflux();
  const writtenResults: IPoint[][] = [];
  const writer = new BatchWriter(influx.post, { log, onWritten: (r) => writtenResults.push(r), ...opts });
  const outcome = new Map<string, string>();
  const errors = new Map<string, Error>();
  const write = (...lines: string[]) => {
    for (const line of lines)
      writer.write({ line }, (err) => {
        expect(outcome.has(line), `${line} answered twice`).toBe(false);
        outcome.set(line, err ? err.message : 'ok');
        if (err) errors.set(line, err);
      });
  };
  return { influx, writer, write, outcome, errors, writtenResults };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("isPermanent: only 400 and 413 are the data's fault", () => {
  it.each([
    [400, true],
    [413, true],
    [401, false],
    [403, false],
    [404, false],
    [429, false],
    [500, false],
    [503, false],
    [null, false],
  ])('status %s → %s', (status, permanent) => {
    expect(isPermanent(new InfluxWriteError('x', status))).toBe(permanent);
  });

  it("also reads the `influx` client's error shape, and anything else is not permanent", () => {
    expect(isPermanent({ res: { statusCode: 400 } })).toBe(true);
    expect(isPermanent({ res: { statusCode: 502 } })).toBe(false);
    expect(isPermanent(new Error('ECONNREFUSED'))).toBe(false);
  });
});

describe('batching and acks', () => {
  it('points written in one tick go in one request; each is acked only after InfluxDB accepted it', async () => {
    const { influx, writer, write, outcome, writtenResults } = setup();
    const result: IPoint = { measurement: 'sysbench', fields: { events_per_sec: 1 }, timestamp: '1' };
    write('m v=1 1', 'm v=2 2');
    writer.write({ line: 'sysbench events_per_sec=1 1', result }, (err) => outcome.set('result', err ? err.message : 'ok'));
    expect(writer.queued()).toBe(3);
    expect(influx.requests).toHaveLength(0); // nothing sent within the tick that queued them
    await settle();
    expect(influx.bodies()).toEqual([['m v=1 1', 'm v=2 2', 'sysbench events_per_sec=1 1']]);
    expect(outcome.size).toBe(0); // in a request, not yet accepted: no ack
    expect(writer.queued()).toBe(3); // still counted while in the request
    expect(writer.held()).toBe(0); // queued while writing normally is not held
    influx.requests[0]!.resolve();
    await settle();
    expect([...outcome.values()]).toEqual(['ok', 'ok', 'ok']);
    expect(writer.written).toBe(3);
    expect(writer.queued()).toBe(0);
    expect(writtenResults).toEqual([[result]]); // only `sysbench` results go to onWritten
  });

  it('writes each retention policy of a batch in its own request, all at once, and acks the batch only when every part was accepted', async () => {
    const { influx, write, outcome } = setup({ policyOf: (m) => (m === 'sysbench_interval' ? 'samples' : undefined) });
    write('sysbench_interval,agent=a v=1 1', 'sysbench,agent=a v=2 2', 'sysbench_interval v=3 3');
    await settle();
    // Both parts in flight together: one round trip for the batch, not one per policy.
    expect(influx.requests.map((r) => [r.policy, r.body])).toEqual([
      ['samples', 'sysbench_interval,agent=a v=1 1\nsysbench_interval v=3 3'],
      [undefined, 'sysbench,agent=a v=2 2'],
    ]);
    influx.requests[0]!.resolve();
    await settle();
    expect(outcome.size).toBe(0); // the default policy's part is not accepted yet
    influx.requests[1]!.resolve();
    await settle();
    expect([...outcome.values()]).toEqual(['ok', 'ok', 'ok']);
  });

  it('a batch one of whose policy parts fails is held whole, with nothing of it still in flight, and written again', async () => {
    const { influx, write, outcome, writer } = setup({ policyOf: (m) => (m === 'sysbench_interval' ? 'samples' : undefined) });
    write('sysbench_interval,agent=a v=1 1', 'sysbench,agent=a v=2 2');
    await settle();
    influx.requests[1]!.reject(new InfluxWriteError('InfluxDB answered 503: busy', 503));
    await settle();
    expect(influx.requests).toHaveLength(2); // the other part still open: the batch waits for it
    expect(writer.held()).toBe(0);
    influx.requests[0]!.resolve(); // stored, but its batch failed: no ack
    await settle();
    expect(outcome.size).toBe(0);
    expect(writer.held()).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(influx.requests.slice(2).map((r) => [r.policy, r.body])).toEqual([
      ['samples', 'sysbench_interval,agent=a v=1 1'],
      [undefined, 'sysbench,agent=a v=2 2'],
    ]); // both parts again, the stored one unchanged
    influx.requests[2]!.resolve();
    influx.requests[3]!.resolve();
    await settle();
    expect([...outcome.values()]).toEqual(['ok', 'ok']);
  });

  it('splits the queue into requests of at most batchSize points, oldest first, up to `concurrency` at once', async () => {
    const { influx, write, outcome } = setup({ batchSize: 2, concurrency: 2, flushMs: 50 });
    write('a 1', 'b 2', 'c 3', 'd 4', 'e 5');
    await settle();
    expect(influx.bodies()).toEqual([
      ['a 1', 'b 2'],
      ['c 3', 'd 4'],
    ]); // two in flight, 'e 5' waits
    influx.requests[1]!.resolve();
    const freed = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    expect(outcome.get('c 3')).toBe('ok');
    expect(outcome.has('a 1')).toBe(false); // its request is still open
    expect(influx.bodies()[2]).toEqual(['e 5']);
    expect(influx.requests[2]!.at - freed).toBe(50); // a partial batch while one request is in flight: flushMs
    influx.requests[0]!.resolve();
    influx.requests[2]!.resolve();
    await settle();
    expect(outcome.size).toBe(5);
  });

  it('while a request is in flight a partial batch waits flushMs; a full one goes at once', async () => {
    const partial = setup({ batchSize: 3, concurrency: 2, flushMs: 50 });
    partial.write('a 1');
    await settle();
    const t = Date.now();
    partial.write('b 2');
    await vi.advanceTimersByTimeAsync(100);
    expect(partial.influx.bodies()).toEqual([['a 1'], ['b 2']]);
    expect(partial.influx.requests[1]!.at - t).toBe(50);

    const full = setup({ batchSize: 1, concurrency: 2, flushMs: 50 });
    full.write('a 1');
    await settle();
    const t2 = Date.now();
    full.write('b 2'); // a batch of batchSize points is due at once
    await vi.advanceTimersByTimeAsync(100);
    expect(full.influx.bodies()).toEqual([['a 1'], ['b 2']]);
    expect(full.influx.requests[1]!.at - t2).toBe(0);
  });

  // Issue 26: a lone agent's window (256 records, sent as two batches of 128) was written as two
  // alternating halves, each waiting 50 ms for the free slot: ack p50 52 ms, 5 000 points/s.
  it('by default a partial batch takes the free second slot at once; with both busy the queue grows into one batch', async () => {
    const { influx, write } = setup({ concurrency: 2 });
    write('a 1');
    await settle();
    const t = Date.now();
    write('b 2');
    await settle();
    expect(influx.bodies()).toEqual([['a 1'], ['b 2']]);
    expect(influx.requests[1]!.at - t).toBeLessThanOrEqual(1); // the tick's own zero-delay timer, not a wait
    write('c 3', 'd 4', 'e 5'); // both slots busy: queued
    await vi.advanceTimersByTimeAsync(100);
    expect(influx.requests).toHaveLength(2);
    influx.requests[0]!.resolve();
    await settle();
    expect(influx.bodies()[2]).toEqual(['c 3', 'd 4', 'e 5']);
  });
});

describe('InfluxDB down: retry, nothing acked, order kept', () => {
  it('holds the batch (older points first), retries, doubling the delay, and acks only after success', async () => {
    const { influx, writer, write, outcome } = setup({ concurrency: 1 });
    write('a 1', 'b 2');
    await settle();
    write('c 3'); // arrives while the request is in flight (queued, waiting flushMs)
    influx.requests[0]!.reject(down(503));
    const failed = Date.now();
    await settle();
    expect(outcome.size).toBe(0);
    expect(writer.failedWrites).toBe(1);
    expect(writer.queued()).toBe(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(influx.requests).toHaveLength(2);
    expect(influx.requests[1]!.at - failed).toBe(200);
    expect(influx.bodies()[1]).toEqual(['a 1', 'b 2', 'c 3']); // the held batch first, then the newer point
    influx.requests[1]!.reject(down(null)); // no answer at all: retried the same way
    const failedAgain = Date.now();
    await vi.advanceTimersByTimeAsync(1000);
    expect(writer.failedWrites).toBe(2);
    expect(influx.requests).toHaveLength(3);
    expect(influx.requests[2]!.at - failedAgain).toBe(400); // doubled
    expect(outcome.size).toBe(0);
    influx.requests[2]!.resolve();
    await settle();
    expect([...outcome.entries()]).toEqual([
      ['a 1', 'ok'],
      ['b 2', 'ok'],
      ['c 3', 'ok'],
    ]);
    expect(writer.written).toBe(3);
    // Success resets the delay: the next point goes at once.
    const t = Date.now();
    write('d 4');
    await settle();
    expect(influx.requests).toHaveLength(4);
    expect(influx.requests[3]!.at - t).toBe(0);
  });

  it('while retrying only one request probes InfluxDB, though concurrency allows more', async () => {
    const { influx, write, outcome } = setup({ batchSize: 1, concurrency: 2 });
    influx.answer = () => down();
    write('a 1', 'b 2');
    await settle();
    expect(influx.requests).toHaveLength(2); // healthy: both batches at once
    await vi.advanceTimersByTimeAsync(20_000);
    const retries = influx.requests.slice(2);
    expect(retries.length).toBeGreaterThan(3);
    expect(new Set(retries.map((r) => r.at)).size).toBe(retries.length); // never two at the same moment
    influx.answer = () => undefined;
    await vi.advanceTimersByTimeAsync(20_000);
    expect([...outcome.values()]).toEqual(['ok', 'ok']);
  });

  it('the retry delay doubles from 200 ms up to 5 s and stays there', async () => {
    const { influx, write } = setup();
    influx.answer = () => down(500);
    write('a 1');
    await vi.advanceTimersByTimeAsync(30_000);
    const gaps = influx.requests.slice(1, 9).map((r, i) => r.at - influx.requests[i]!.at);
    expect(gaps).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  it.each([401, 403, 404, 429])("status %i is the server's state: retried, never rejected", async (status) => {
    const { influx, writer, write, outcome } = setup();
    write('a 1');
    await settle();
    influx.requests[0]!.reject(down(status));
    await vi.advanceTimersByTimeAsync(250);
    expect(influx.requests).toHaveLength(2);
    expect(outcome.size).toBe(0);
    expect(writer.failedWrites).toBe(1);
  });
});

describe('a point InfluxDB can never store (400/413)', () => {
  it('is isolated: the refused request is split in halves down to the bad point; the good ones acked, the bad one rejected', async () => {
    const { influx, writer, write, outcome, errors } = setup();
    influx.answer = (body) => (body.includes('bad') ? new InfluxWriteError('InfluxDB answered 400: field type conflict', 400) : undefined);
    write('m v=1 1', 'bad v="x" 2', 'm v=3 3');
    await settle();
    // [1 bad 3] refused → [1 bad] refused → [1] ok, [bad] refused; [3] ok.
    expect(influx.requests.map((r) => r.body)).toEqual(['m v=1 1\nbad v="x" 2\nm v=3 3', 'm v=1 1\nbad v="x" 2', 'm v=1 1', 'bad v="x" 2', 'm v=3 3']);
    expect(outcome.get('m v=1 1')).toBe('ok');
    expect(outcome.get('m v=3 3')).toBe('ok');
    expect(outcome.get('bad v="x" 2')).toBe('InfluxDB refused the point: InfluxDB answered 400: field type conflict');
    expect(errors.get('bad v="x" 2')).toBeInstanceOf(PermanentWriteError);
    expect(writer.written).toBe(2);
    expect(writer.failedWrites).toBe(0); // not a failed write: nothing is retried
    expect(writer.queued()).toBe(0);
  });

  it('413 (too large) is isolated the same way', async () => {
    const { influx, write, outcome } = setup();
    influx.answer = (body) => (body.includes('\n') || body.includes('big') ? new InfluxWriteError('InfluxDB answered 413: too large', 413) : undefined);
    write('small 1', 'big 2');
    await settle();
    expect(outcome.get('small 1')).toBe('ok');
    expect(outcome.get('big 2')).toMatch(/^InfluxDB refused the point: InfluxDB answered 413/);
  });

  it('if InfluxDB goes away during isolation, the unwritten point is kept and retried, not rejected', async () => {
    const { influx, writer, write, outcome } = setup();
    let gone = false;
    influx.answer = (body) => {
      if (body.includes('bad')) return new InfluxWriteError('InfluxDB answered 400: bad', 400);
      if (body.startsWith('late') && !gone) return ((gone = true), down(503));
      return undefined;
    };
    write('good 1', 'bad 2', 'late 3');
    await settle();
    expect(outcome.get('good 1')).toBe('ok');
    expect(outcome.get('bad 2')).toMatch(/^InfluxDB refused the point/);
    expect(outcome.has('late 3')).toBe(false); // held, not rejected
    // Issue 16: held like any failed write, so it is retried after the first retry delay (200 ms).
    await vi.advanceTimersByTimeAsync(200);
    await settle();
    expect(influx.requests.map((r) => r.body).filter((b) => b === 'late 3')).toHaveLength(2); // sent again
    expect(outcome.get('late 3')).toBe('ok');
    expect(writer.written).toBe(2);
  });
});

// Issue 23 item 5: one agent's refused point never delays another agent's points.
describe('isolation by agent', () => {
  const from = (agent: string, line: string) => ({ line, stamp: { measurement: 'm', agent, key: line, ts: '1', hash: line, values: {} } });

  it("a refused batch is split by agent: the victim's points go in one request, only the attacker's are narrowed down", async () => {
    const { influx, writer, outcome } = setup();
    influx.answer = (body) => (body.includes('evil-bad') ? new InfluxWriteError('InfluxDB answered 400: partial write: field type conflict', 400) : undefined);
    const lines = ['victim 1', 'evil 1', 'victim 2', 'evil-bad 2', 'evil 3', 'victim 3'];
    for (const l of lines) writer.write(from(l.startsWith('victim') ? 'victim' : 'evil', l), (err) => outcome.set(l, err ? 'refused' : 'ok'));
    await settle();
    expect(influx.bodies()).toEqual([
      lines,
      ['victim 1', 'victim 2', 'victim 3'], // the victim's points: one request, accepted
      ['evil 1', 'evil-bad 2', 'evil 3'],
      ['evil 1', 'evil-bad 2'],
      ['evil 1'],
      ['evil-bad 2'],
      ['evil 3'],
    ]);
    expect(Object.fromEntries(outcome)).toEqual({
      'victim 1': 'ok',
      'victim 2': 'ok',
      'victim 3': 'ok',
      'evil 1': 'ok',
      'evil-bad 2': 'refused',
      'evil 3': 'ok',
    });
  });

  it("a point over one of InfluxDB's limits is set aside: later points of every agent go at once, not one request every 5 s", async () => {
    const { influx, writer, outcome } = setup();
    const limit = new InfluxWriteError('InfluxDB answered 400: partial write: max-values-per-tag limit exceeded (100000/100000): tag=profile', 400);
    let raised = false;
    influx.answer = (body) => (!raised && body.includes('new-profile') ? limit : undefined);
    writer.write(from('evil', 'evil new-profile'), (err) => outcome.set('evil new-profile', err ? 'refused' : 'ok'));
    writer.write(from('victim', 'victim 1'), (err) => outcome.set('victim 1', err ? 'refused' : 'ok'));
    await settle();
    expect(outcome.get('victim 1')).toBe('ok');
    expect(writer.held()).toBe(1);
    // The writer is not in retry mode: the next points of both agents are written at once.
    const before = influx.requests.length;
    writer.write(from('victim', 'victim 2'), (err) => outcome.set('victim 2', err ? 'refused' : 'ok'));
    await settle();
    expect(influx.requests.length).toBe(before + 1);
    expect(influx.requests[before]!.at - influx.requests[before - 1]!.at).toBeLessThan(10);
    expect(outcome.get('victim 2')).toBe('ok');
    expect(outcome.has('evil new-profile')).toBe(false); // held: no ack, no Reject
    // Its own retries: 1 s, then 2 s, ... until the limit is raised.
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.has('evil new-profile')).toBe(false);
    raised = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(outcome.get('evil new-profile')).toBe('ok');
    expect(writer.held()).toBe(0);
  });
});

describe('back-pressure', () => {
  it("emits 'pressure' once when the queue reaches highWater and 'relief' once it is below half", async () => {
    const { influx, writer, write } = setup({ highWater: 4, batchSize: 1, concurrency: 1 });
    const events: string[] = [];
    writer.on('pressure', () => events.push(`pressure@${writer.queued()}`));
    writer.on('relief', () => events.push(`relief@${writer.queued()}`));
    write('a 1', 'b 2', 'c 3');
    expect(events).toEqual([]);
    write('d 4'); // 4th queued point: pressure
    write('e 5');
    expect(events).toEqual(['pressure@4']);
    // One point per request: after a, b, c are accepted 4, 3, 2 are queued — 2 is not below 4/2.
    for (const i of [0, 1, 2]) {
      await settle();
      influx.requests[i]!.resolve();
    }
    await settle();
    expect(events).toEqual(['pressure@4']);
    influx.requests[3]!.resolve(); // d accepted: 1 queued (e, now in a request)
    await settle();
    expect(events).toEqual(['pressure@4', 'relief@1']);
    influx.requests[4]!.resolve();
    await settle();
    expect(events).toEqual(['pressure@4', 'relief@1']);
  });

  it('stays pressured while InfluxDB is down (failed batches go back into the queue)', async () => {
    const { influx, writer, write } = setup({ highWater: 2, batchSize: 10 });
    const events: string[] = [];
    writer.on('pressure', () => events.push('pressure'));
    writer.on('relief', () => events.push('relief'));
    write('a 1', 'b 2');
    await settle();
    influx.requests[0]!.reject(down());
    await settle();
    expect(events).toEqual(['pressure']);
    await vi.advanceTimersByTimeAsync(250);
    influx.requests[1]!.resolve();
    await settle();
    expect(events).toEqual(['pressure', 'relief']);
  });
});

describe('close', () => {
  it('with nothing queued: true at once, and later points are refused with a reason', async () => {
    const { writer, write, outcome } = setup();
    await expect(writer.close(1000)).resolves.toBe(true);
    write('late 1');
    expect(outcome.get('late 1')).toBe('collector is shutting down');
  });

  it('waits for every request in flight, not only the first to finish', async () => {
    const { influx, writer, write, outcome } = setup({ batchSize: 1, concurrency: 2 });
    write('a 1', 'b 2');
    await settle();
    expect(influx.requests).toHaveLength(2);
    let closed: boolean | undefined;
    void writer.close(10_000).then((ok) => (closed = ok));
    influx.requests[1]!.resolve();
    await settle();
    expect(closed).toBeUndefined(); // 'a 1' is still in its request
    influx.requests[0]!.resolve();
    await settle();
    expect(closed).toBe(true);
    expect([...outcome.values()]).toEqual(['ok', 'ok']);
  });

  it('waits for what is queued and in flight to be accepted, then resolves true', async () => {
    const { influx, writer, write, outcome } = setup({ batchSize: 1, concurrency: 1 });
    write('a 1', 'b 2');
    let closed: boolean | undefined;
    void writer.close(10_000).then((ok) => (closed = ok));
    write('c 3'); // after close: refused
    expect(outcome.get('c 3')).toBe('collector is shutting down');
    await settle();
    influx.requests[0]!.resolve();
    await settle();
    expect(closed).toBeUndefined(); // 'b 2' still to go
    influx.requests[1]!.resolve();
    await settle();
    expect(closed).toBe(true);
    expect(outcome.get('a 1')).toBe('ok');
    expect(outcome.get('b 2')).toBe('ok');
  });

  it('InfluxDB down at shutdown: after the timeout resolves false and answers every queued point (not stored)', async () => {
    const { influx, writer, write, outcome } = setup();
    influx.answer = () => down();
    write('a 1', 'b 2');
    await settle();
    let closed: boolean | undefined;
    let closedAt = 0;
    const t = Date.now();
    void writer.close(1000).then((ok) => ((closed = ok), (closedAt = Date.now())));
    await vi.advanceTimersByTimeAsync(900);
    expect(closed).toBeUndefined();
    expect(outcome.size).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(closed).toBe(false);
    expect(closedAt - t).toBe(1000);
    expect([...outcome.entries()]).toEqual([
      ['a 1', 'collector shut down before InfluxDB accepted this point'],
      ['b 2', 'collector shut down before InfluxDB accepted this point'],
    ]);
    const requests = influx.requests.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(influx.requests.length).toBe(requests); // nothing more is posted after shutdown
    expect(writer.written).toBe(0);
  });
});

describe('the append-only history check (a real HistoryGuard on a fake InfluxDB query)', () => {
  /** A point of agent a1's series at time `ts` whose content hashes to `hash`. */
  const stamped = (ts: string, hash: string) => ({
    line: `sysbench,agent=a1 v=1 ${ts}`,
    stamp: { measurement: 'sysbench', agent: 'a1', key: 'sysbench,agent=a1', ts, hash } satisfies Stamp,
  });
  /** InfluxDB's query endpoint holding these content hashes by timestamp; counts the queries. */
  function storedQuery(stored: Record<string, string>) {
    const q = {
      count: 0,
      /** Fake-clock time of each query. */
      at: [] as number[],
      failNext: '',
      run: (async () => {
        q.count++;
        q.at.push(Date.now());
        if (q.failNext) {
          const message = q.failNext;
          q.failNext = '';
          throw new InfluxWriteError(message, null);
        }
        const values = Object.entries(stored).map(([ts, hash]) => [ts, hash]);
        return { results: [{ series: values.length ? [{ name: 'sysbench', tags: { agent: 'a1' }, columns: ['time', 'content_hash'], values }] : [] }] };
      }) as RawQuery,
    };
    return q;
  }
  function guarded(stored: Record<string, string>, opts: Partial<WriterOptions> = {}) {
    const query = storedQuery(stored);
    const s = setup({ guard: new HistoryGuard(query.run), ...opts });
    const write = (...points: ReturnType<typeof stamped>[]) => {
      for (const p of points) s.writer.write(p, (err) => (s.outcome.set(p.line, err ? err.message : 'ok'), err && s.errors.set(p.line, err)));
    };
    return { ...s, query, write };
  }

  it('same content already stored: acked without a write; other content: refused as a conflict; new: written', async () => {
    const { influx, write, outcome, errors } = guarded({ '5': 'H5', '6': 'H6' });
    write(stamped('5', 'H5'), stamped('6', 'other'), stamped('7', 'H7'));
    await settle();
    expect(errors.get('sysbench,agent=a1 v=1 6')).toBeInstanceOf(HistoryConflictError);
    expect(outcome.get('sysbench,agent=a1 v=1 6')).toBe(
      'a different sysbench point is already stored for this series and timestamp; stored history is append-only, so it was not overwritten',
    );
    expect(influx.bodies()).toEqual([['sysbench,agent=a1 v=1 7']]); // only the new point is written
    expect(outcome.has('sysbench,agent=a1 v=1 7')).toBe(false); // and acked only once accepted
    // The stored one is acked with the request that carries its batch (and its overhead marker).
    expect(outcome.has('sysbench,agent=a1 v=1 5')).toBe(false);
    influx.requests[0]!.resolve();
    await settle();
    expect(outcome.get('sysbench,agent=a1 v=1 7')).toBe('ok');
    expect(outcome.get('sysbench,agent=a1 v=1 5')).toBe('ok');
  });

  it('once InfluxDB accepted a point, a resend of it is acked from memory: no query, no write', async () => {
    const { influx, query, write, outcome } = guarded({});
    write(stamped('7', 'H7'));
    await settle();
    influx.requests[0]!.resolve();
    await settle();
    expect(query.count).toBe(1);
    outcome.clear();
    write(stamped('7', 'H7'));
    await settle();
    expect(outcome.get('sysbench,agent=a1 v=1 7')).toBe('ok');
    expect(query.count).toBe(1);
    expect(influx.requests).toHaveLength(1);
  });

  it('InfluxDB cannot be asked: the batch is held (no ack, no reject), then checked and written after 200 ms', async () => {
    const { influx, writer, query, write, outcome } = guarded({});
    query.failNext = 'InfluxDB did not answer: ECONNREFUSED';
    write(stamped('7', 'H7'));
    await settle();
    expect(outcome.size).toBe(0);
    expect(influx.requests).toHaveLength(0);
    expect(writer.failedWrites).toBe(1);
    expect(writer.held()).toBe(1);
    expect(writer.heldReason).toBe('InfluxDB did not answer: ECONNREFUSED');
    await vi.advanceTimersByTimeAsync(1000);
    expect(query.count).toBe(2);
    expect(query.at[1]! - query.at[0]!).toBe(200); // checked again after the first retry delay
    expect(influx.requests[0]!.at).toBe(query.at[1]); // and written at once
    influx.requests[0]!.resolve();
    await settle();
    expect(outcome.get('sysbench,agent=a1 v=1 7')).toBe('ok');
    expect(writer.held()).toBe(0);
    expect(writer.heldReason).toBe('');
  });
});

describe("refusals that are InfluxDB's state, not the data's", () => {
  it("a 400 about one of InfluxDB's own limits is held and retried, never rejected", async () => {
    const limit = new InfluxWriteError('InfluxDB answered 400: partial write: max-series-per-database limit exceeded: (1000000)', 400);
    expect(isPermanent(limit)).toBe(false);
    const { influx, writer, write, outcome } = setup();
    let raised = false;
    influx.answer = () => (raised ? undefined : limit);
    write('a 1', 'b 2');
    await settle();
    expect(influx.bodies()).toEqual([['a 1', 'b 2'], ['a 1'], ['b 2']]); // isolated: each half alone, each refused for the limit
    expect(outcome.size).toBe(0);
    expect(writer.held()).toBe(2);
    expect(writer.heldReason).toBe(''); // set aside: the writer itself is not in retry mode
    raised = true; // the operator raised the limit
    await vi.advanceTimersByTimeAsync(1000); // the set-aside points' own first retry
    expect([...outcome.values()]).toEqual(['ok', 'ok']);
    expect(writer.held()).toBe(0);
  });

  it('held() counts each point once while InfluxDB is down and another point is set aside for a limit', async () => {
    const limit = new InfluxWriteError('InfluxDB answered 400: partial write: max-values-per-tag limit exceeded (100000/100000): tag=profile', 400);
    const { influx, writer, write, outcome } = setup();
    let isDown = false;
    influx.answer = (body) => (body.includes('evil') ? limit : isDown ? down() : undefined);
    write('evil 1');
    await settle();
    expect(writer.held()).toBe(1); // set aside; the writer is not in retry mode
    expect(writer.heldReason).toBe('');
    isDown = true;
    write('victim 1');
    await settle();
    expect(writer.heldReason).not.toBe('');
    expect(writer.held()).toBe(2); // one queued for the retry + one set aside (not 3)
    influx.answer = null; // from now every request waits for the test
    await vi.advanceTimersByTimeAsync(200); // the held batch's retry is in a request
    expect(influx.requests.at(-1)!.body).toBe('victim 1');
    expect(writer.held()).toBe(2);
    await vi.advanceTimersByTimeAsync(800); // the set-aside point's own retry (1 s) is in a request too
    expect(influx.requests.at(-1)!.body).toBe('evil 1');
    expect(writer.held()).toBe(2); // both in requests, each counted once
    for (const r of influx.requests.slice(-2)) r.resolve();
    await settle();
    expect([...outcome.values()]).toEqual(['ok', 'ok']);
    expect(writer.held()).toBe(0);
    expect(writer.heldReason).toBe('');
  });

  it('database not found: onDatabaseMissing runs before the retry, and the points are written after', async () => {
    let created = 0;
    const { influx, write, outcome } = setup({ onDatabaseMissing: async () => void created++ });
    let exists = false;
    influx.answer = () => (exists ? undefined : new InfluxWriteError('InfluxDB answered 404: {"error":"database not found: \\"vo\\""}', 404));
    write('a 1');
    await settle();
    expect(created).toBe(1);
    expect(outcome.size).toBe(0);
    exists = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.get('a 1')).toBe('ok');
    expect(created).toBe(1);
  });
});

describe('overhead_owed markers (a result is never acked before its marker is stored)', () => {
  const resultPoint = (ts: string, agent = 'a', flagged = false) => ({
    line: `sysbench v=1 ${ts}`,
    result: { measurement: 'sysbench', tags: { agent }, fields: { v: 1 }, timestamp: ts } as IPoint,
    ...(flagged ? { flagged } : {}),
  });
  function marked() {
    const settled: string[] = [];
    const marker = (byAgent: Map<string, string[]>) => {
      const line = [...byAgent].map(([agent, timestamps]) => `overhead_owed,agent=${agent} results=${timestamps.length} ${timestamps.join('_')}`).join('\n');
      return { line, settle: () => settled.push(line) };
    };
    const markers: Array<string | undefined> = [];
    const s = setup({ marker, onWritten: (_r, m) => markers.push(m?.line) });
    const write = (ts: string) => s.writer.write(resultPoint(ts), (err) => s.outcome.set(ts, err ? err.message : 'ok'));
    return { ...s, write, settled, markers };
  }

  it('the marker goes in the same request as the results it covers; samples alone get none', async () => {
    const { influx, writer, write, outcome, markers, settled } = marked();
    write('1');
    writer.write({ line: 'sample v=1 2' }, () => {});
    write('3');
    await settle();
    expect(influx.bodies()).toEqual([['sysbench v=1 1', 'sample v=1 2', 'sysbench v=1 3', 'overhead_owed,agent=a results=2 1_3']]);
    expect(outcome.size).toBe(0);
    influx.requests[0]!.resolve();
    await settle();
    expect([...outcome.values()]).toEqual(['ok', 'ok']);
    expect(markers).toEqual(['overhead_owed,agent=a results=2 1_3']); // handed on, settled once computed
    expect(settled).toEqual([]);
    writer.write({ line: 'sample v=1 4' }, () => {});
    await settle();
    expect(influx.bodies()[1]).toEqual(['sample v=1 4']);
  });

  it('a failed request settles its marker (not stored); the retry writes a new one', async () => {
    const { influx, write, outcome, settled } = marked();
    write('1');
    await settle();
    influx.requests[0]!.reject(down());
    await settle();
    expect(settled).toEqual(['overhead_owed,agent=a results=1 1']);
    await vi.advanceTimersByTimeAsync(200);
    expect(influx.bodies()[1]).toEqual(['sysbench v=1 1', 'overhead_owed,agent=a results=1 1']);
    influx.requests[1]!.resolve();
    await settle();
    expect(outcome.get('1')).toBe('ok');
  });

  it('a 400 isolates the points: the marker is posted alone first, then the points by halves', async () => {
    const { influx, write, outcome } = marked();
    influx.answer = (body) => (body.includes('sysbench v=1 2') ? new InfluxWriteError('InfluxDB answered 400: bad', 400) : undefined);
    write('1');
    write('2');
    await settle();
    expect(influx.bodies().map((b) => b.join(' | '))).toEqual([
      'sysbench v=1 1 | sysbench v=1 2 | overhead_owed,agent=a results=2 1_2',
      'overhead_owed,agent=a results=2 1_2',
      'sysbench v=1 1',
      'sysbench v=1 2',
    ]);
    expect(outcome.get('1')).toBe('ok');
    expect(outcome.get('2')).toMatch(/^InfluxDB refused the point/);
  });

  // Issue 23 item 3: one marker line per agent; a result with a wrong clock is neither marked nor handed on.
  it('one marker line per agent; a flagged result (clock_skew_s) gets none and is not handed to the calculators', async () => {
    const s = marked();
    const handed: string[][] = [];
    const w = new BatchWriter(s.influx.post, {
      log,
      marker: (m) => ({ line: [...m.keys()].map((a) => `owed,agent=${a} ${m.get(a)!.join('_')}`).join('\n'), settle() {} }),
      onWritten: (r) => handed.push(r.map((p) => String(p.timestamp))),
    });
    s.influx.answer = () => undefined;
    for (const [ts, agent, flagged] of [
      ['10', 'a', false],
      ['2262', 'a', true],
      ['11', 'b', false],
      ['12', 'a', false],
    ] as const)
      w.write(resultPoint(ts, agent, flagged), () => {});
    await settle();
    expect(s.influx.bodies()[0]!.slice(-2)).toEqual(['owed,agent=a 10_12', 'owed,agent=b 11']);
    expect(handed).toEqual([['10', '11', '12']]);
  });

  // Issue 26: the policy of an encoded point comes from its stamp (or result), not from parsing its
  // line; the marker, which has neither, from its own line.
  it("stamped points go to their measurement's policy; the marker with the results, in the default one", async () => {
    const s = marked();
    const w = new BatchWriter(s.influx.post, {
      log,
      policyOf: (m) => (m === 'sysbench_interval' ? 'samples' : m === 'overhead_owed' ? undefined : m === 'sysbench' ? undefined : 'other'),
      marker: (m) => ({ line: [...m.keys()].map((a) => `overhead_owed,agent=${a} ${m.get(a)!.join('_')}`).join('\n'), settle() {} }),
    });
    s.influx.answer = () => undefined;
    const key = 'sysbench_interval,agent=a';
    w.write({ line: `${key} v=1 1`, stamp: { measurement: 'sysbench_interval', agent: 'a', key, ts: '1', hash: 'h1' } }, () => {});
    w.write({ ...resultPoint('2'), stamp: { measurement: 'sysbench', agent: 'a', key: 'sysbench', ts: '2', hash: 'h2' } }, () => {});
    w.write(
      { line: 'agent_status,agent=a state="ok" 3', stamp: { measurement: 'agent_status', agent: 'a', key: 'agent_status,agent=a', ts: '3', hash: 'h3' } },
      () => {},
    );
    await settle();
    expect(s.influx.requests.map((r) => [r.policy, r.body.split('\n')])).toEqual([
      ['samples', [`${key} v=1 1`]],
      [undefined, ['sysbench v=1 2', 'overhead_owed,agent=a 2']],
      ['other', ['agent_status,agent=a state="ok" 3']],
    ]);
  });
});
