// The ingest bench's window (bench/ingest-window.ts) ends when the collector's owed work is done,
// not at the last ack: against the collector's real after-write pipeline (collector/pipeline.ts,
// what RunningCollector.drained() waits on), with a facts listener the test holds and releases
// and an injected clock (no timing decides anything).
import pino from 'pino';
import type { IPoint } from 'influx';
import { describe, expect, it } from 'vitest';
import { IngestWindow } from '../bench/ingest-window.js';
import { Pipeline } from '../collector/pipeline.js';
import type { WriteListener } from '../collector/listener.js';
import type { Hello__Output } from '../proto/index.js';
import type { IdentityTags } from '../schema/influx.js';

const log = pino({ level: 'silent' });
const result = (ts: number): IPoint => ({ measurement: 'sysbench', tags: { agent: 'a' }, fields: { run_id: 'r' }, timestamp: String(ts) });

/** A facts-like records listener whose every call waits until the test releases it. */
function heldFacts() {
  const waiting: Array<() => void> = [];
  const done: string[] = [];
  const hold = (what: string) =>
    new Promise<void>((resolve) =>
      waiting.push(() => {
        done.push(what);
        resolve();
      }),
    );
  const listener: WriteListener = {
    name: 'recording facts',
    owed: false,
    onResultsWritten: (results) => hold(`run ${results.map((r) => r.timestamp_ns).join(',')}`),
    onHellos: (hellos) => hold(`hellos ${hellos.map((h) => h.hello.agent_id).join(',')}`),
  };
  /** Lets the oldest held call finish, then lets the pipeline start the next. */
  const release = async () => {
    waiting.shift()!();
    await new Promise((r) => setImmediate(r)); // every promise the release settles has run (no I/O is involved)
  };
  return { listener, done, release, held: () => waiting.length };
}

const settledYet = (p: Promise<unknown>) => {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
};

describe('the ingest window', () => {
  it('ends when the facts queued behind the acks are stored, not at the last ack', async () => {
    const facts = heldFacts();
    const pipeline = new Pipeline([facts.listener], log);
    let t = 0;
    const w = new IngestWindow(
      () => pipeline.drained(),
      () => t,
    );
    w.go();
    // What a stream does: hellos, then batches written (acked): their facts queue up.
    pipeline.hello({ agent_id: 'a' } as Hello__Output, {} as IdentityTags);
    pipeline.hello({ agent_id: 'b' } as Hello__Output, {} as IdentityTags);
    pipeline.written([result(1), result(2)]);
    t = 100;
    w.acked(); // the last ack: the hellos' and the run's facts still owed
    const done = w.done();
    const settled = settledYet(done);
    t = 150;
    await facts.release();
    t = 180;
    await facts.release();
    expect(settled()).toBe(false); // the run's facts are still owed
    t = 260;
    await facts.release();
    expect(await done).toEqual({ ackedMs: 100, doneMs: 260 });
    // The first hello's task started at once; the second waited for it (alone, as nothing joined it).
    expect(facts.done).toEqual(['hellos a', 'hellos b', 'run 1,2']);
  });

  it('also waits for work queued while it drains (a late batch behind the running task)', async () => {
    const facts = heldFacts();
    const pipeline = new Pipeline([facts.listener], log);
    let t = 0;
    const w = new IngestWindow(
      () => pipeline.drained(),
      () => t,
    );
    w.go();
    pipeline.written([result(1)]);
    t = 40;
    w.acked();
    const done = w.done();
    const settled = settledYet(done);
    pipeline.written([result(2)]); // queued behind the running call
    t = 50;
    await facts.release();
    expect(settled()).toBe(false);
    expect(facts.held()).toBe(1);
    t = 70;
    await facts.release();
    expect(await done).toEqual({ ackedMs: 40, doneMs: 70 });
  });

  it('nothing owed at the last ack: the window ends there', async () => {
    const pipeline = new Pipeline([heldFacts().listener], log);
    let t = 0;
    const w = new IngestWindow(
      () => pipeline.drained(),
      () => t,
    );
    w.go();
    t = 75;
    w.acked();
    expect(await w.done()).toEqual({ ackedMs: 75, doneMs: 75 });
  });

  it('refuses an ack before go, a second ack, and a window never acked', async () => {
    const w = new IngestWindow(async () => {});
    expect(() => w.acked()).toThrow('acked before go');
    await expect(w.done()).rejects.toThrow('never reported their last ack');
    w.go();
    w.acked();
    expect(() => w.acked()).toThrow('acked twice');
  });
});
