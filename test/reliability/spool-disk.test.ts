// A spool that survives its disk (issue 16, item 4), with the real agent (real sysbench), the
// real collector process and a real influxd: two agents on one work directory, the spool's disk
// refusing writes mid-run (ENOSPC: a segment that is /dev/full; read-only and EIO: a real ext4
// on a loop device that the kernel turns read-only, or shuts down), and records in the spool
// that cannot be decoded or sent. Each case ends in counts: measured, delivered, spooled, lost.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../agent/spool/record.js';
import { Spool } from '../../agent/spool/spool.js';
import { freePort } from '../../collector/influx/influxd.js';
import { influxdFixture } from '../support/fixture.js';
import { MAIN } from '../support/cli.js';
import { recordFigures } from '../support/figures.js';
import { loopFsUnavailable, tryMountLoopFs, type LoopFs } from '../support/loop-fs.js';
import {
  childrenNamed,
  query,
  sleep,
  spawnProc,
  startCollectorProc,
  stopProc,
  storedIds,
  whileStopped,
  type CollectorProc,
  type Proc,
} from '../support/procs.js';
import { measurementRef } from '../../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const fx = influxdFixture('vo-rel-spooldisk-');
const p = fx.p;
const procs = fx.procs;

/** The real agent command, started as a process (pino JSON lines on stderr). */
function agent(collector: string, agentId: string, workdir: string, extra: string[] = []): Proc {
  const a = spawnProc([
    MAIN,
    'agent',
    '--collector',
    collector,
    '--once',
    '--agent-id',
    agentId,
    '--group',
    'spool',
    '--workdir',
    workdir,
    '--trials',
    '1',
    '--status-interval',
    '1h',
    ...extra,
  ]);
  procs.push(a);
  return a;
}

/** A sample of an earlier run ('old'), as the agent spools it. */
function sampleRecord(agentId: string, n: number) {
  const id = `${agentId}:old:s${n}`;
  return {
    id,
    kind: 'sample' as const,
    body: {
      id,
      timestamp_ns: String(BigInt(Date.now() - 60_000) * 1_000_000n + BigInt(n)),
      run_id: 'old',
      test: 'cpu',
      profile: 'old',
      trial: 1,
      fields: { elapsed_s: n + 1, events_per_sec: 100 + n },
      sysbench_version: '1.0.20',
    },
  };
}

/** The agent's last line: what became of everything it measured. */
function finalTally(a: Proc): { measured: number; delivered: number; spooled: number; quarantined: number; lost: number; replayed: number } {
  const line = a
    .stderr()
    .split('\n')
    .find((l) => l.includes('"agent exiting: measured'));
  if (!line) throw new Error(`no final tally line in:\n${a.stderr().slice(-3000)}`);
  return JSON.parse(line) as ReturnType<typeof finalTally>;
}

/** The counts of a real agent run from its tally line: `before` records were spooled at its start. */
function tallyCounts(t: ReturnType<typeof finalTally>, before: number, stored: number) {
  return {
    sent: t.measured + before,
    acknowledged: t.delivered,
    stored,
    spooled: t.spooled,
    dropped: t.lost,
    rejected: t.quarantined,
    lost: t.lost,
    duplicated: 0,
  };
}

async function storedCount(agentId: string): Promise<number> {
  return (await storedIds(fx.influxd.url, 'sysbench', agentId)).length + (await storedIds(fx.influxd.url, 'sysbench_interval', agentId)).length;
}

describe('spool safety', () => {
  let collector: CollectorProc;
  beforeAll(async () => {
    collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
    procs.push(collector);
  });

  it('a second agent on the same work directory refuses with the holder named; the first delivers everything', async () => {
    const work = p('shared');
    // The first agent must still hold the lock when the second starts: a quick profile ended
    // before a second node process got going at load 20, and the second then ran (exit 0).
    writeFileSync(p('hold.yaml'), 'tests:\n  cpu: {threads: 1, time: 25, options: {cpu-max-prime: "2000"}}\n');
    const first = agent(collector.address, 'lock-a', work, ['--profile', p('hold.yaml')]);
    for (let i = 0; i < 800 && !existsSync(join(work, 'lock')); i++) await sleep(25);
    const second = agent(collector.address, 'lock-b', work, ['--profile', 'quick', '--tests', 'cpu']);
    const s = await second.exited;
    expect(s.code).toBe(2);
    expect(second.stderr()).toMatch(new RegExp(`is in use by agent pid ${first.pid} \\(since .*\\): two agents must not share a work directory`));
    expect((await first.exited).code).toBe(0);
    const t = finalTally(first);
    expect(t.measured).toBeGreaterThan(0);
    expect(t).toMatchObject({ delivered: t.measured, spooled: 0, lost: 0, quarantined: 0 });
    expect(await storedCount('lock-a')).toBe(t.measured);
    expect(await storedCount('lock-b')).toBe(0);
    recordFigures('two agents on one work directory (real agents, quick cpu)', {
      sent: t.measured,
      acknowledged: t.delivered,
      stored: t.measured,
      spooled: t.spooled,
      dropped: t.lost,
      rejected: t.quarantined,
      lost: 0,
      duplicated: 0,
      note: "the second exits 2 naming the first one's pid before measuring anything; spooled 0, lost 0",
    });
  });

  it('the spool disk refuses writes mid-run (ENOSPC): the suite stops, nothing spooled is touched, the rest is sent from memory, exit 1 with the tally', async () => {
    // Collector away at first, so records pile up in segment 1 (already nearly full with 12
    // records of an earlier run); segment 2 is /dev/full.
    const port = await freePort();
    const work = p('full');
    const seed = Spool.open(join(work, 'spool'));
    seed.append(Array.from({ length: 12 }, (_, n) => sampleRecord('full', n)));
    seed.close();
    writeFileSync(p('long.yaml'), 'tests:\n  cpu: {threads: 1, time: 30, options: {cpu-max-prime: "2000"}}\n');
    const a = agent(`127.0.0.1:${port}`, 'full', work, ['--profile', p('long.yaml'), '--spool-max', '32KiB', '--flush-timeout', '60s']);
    for (let i = 0; i < 800 && !a.stderr().includes('"agent starting"'); i++) await sleep(25);
    symlinkSync('/dev/full', join(work, 'spool', '0000000000000002.seg'));
    await a.waitForErr(/the spool cannot be written/, 120_000);
    expect(a.stderr()).toMatch(/"code":"ENOSPC".*the spool cannot be written: stopping the suite/);
    const c2 = await startCollectorProc(['--listen', `127.0.0.1:${port}`, '--influx', fx.influxd.url]);
    procs.push(c2);
    const exit = await a.exited;
    const t = finalTally(a);
    expect(exit.code).toBe(1); // the suite was cut short by the disk
    expect(t.measured).toBeGreaterThan(0);
    expect(t).toMatchObject({ replayed: 12, delivered: t.measured + 12, spooled: 0, lost: 0 });
    expect(await storedCount('full')).toBe(t.measured + 12);
    const sysbenchStopped = !/cpu.*trial 1.*ok":true/.test(a.stderr());
    recordFigures('spool disk full mid-run (segment 2 is /dev/full, collector away until then; real agent, 30 s cpu run, 12 records spooled before)', {
      ...tallyCounts(t, 12, t.measured + 12),
      note: `exit 1; suite stopped at the first refused write${sysbenchStopped ? ' (sysbench stopped)' : ''}; records held in memory and delivered once the collector came; spooled 0, lost 0`,
    });
    await stopProc(c2);
  });

  it('records that cannot be decoded or sent are quarantined, counted, and never block the ones behind them or the start', async () => {
    const work = p('quarantine');
    const spoolDir = join(work, 'spool');
    const good = (n: number) => sampleRecord('quar', n);
    const framed = (payload: string) => {
      const body = Buffer.from(payload);
      const header = Buffer.alloc(12);
      header[0] = 0x56;
      header[1] = 0x4f;
      header[2] = 1;
      header.writeUInt32LE(body.length, 4);
      header.writeUInt32LE(crc32(body), 8);
      return Buffer.concat([header, body]);
    };
    const s = Spool.open(spoolDir);
    s.append([good(0), good(1)]);
    s.close();
    const fd = openSync(join(spoolDir, '0000000000000001.seg'), 'a');
    writeSync(fd, framed('{"id":"quar:bad-shape","kind":"sample","body":"not an object"}')); // decodes, wrong shape
    writeSync(
      fd,
      encodeRecord({
        id: 'quar:bad-fields',
        kind: 'sample',
        body: { id: 'quar:bad-fields', timestamp_ns: '1', run_id: 'x', test: 'cpu', profile: 'x', trial: 1, fields: 5 },
      }),
    ); // cannot be encoded
    writeSync(fd, encodeRecord(good(2)));
    closeSync(fd);
    const a = agent(collector.address, 'quar', work, ['--profile', 'quick', '--tests', 'cpu']);
    const exit = await a.exited;
    const t = finalTally(a);
    expect(t.replayed).toBe(4); // 3 good + the unsendable one; the wrong shape was set aside at open
    expect(t.quarantined).toBe(1); // quar:bad-fields (this run); quar:bad-shape at open
    expect(t).toMatchObject({ delivered: t.measured + 3, spooled: 0, lost: 0 });
    expect(exit.code).toBe(1); // something measured is not in InfluxDB: not a success
    const q = readFileSync(join(spoolDir, 'quarantine.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string });
    expect(q.map((x) => x.reason)).toEqual([
      expect.stringMatching(/undecodable spool record .*body is not an object/),
      expect.stringMatching(/cannot be encoded: .*fields: object expected/),
    ]);
    const old = await query(fx.influxd.url, `SELECT "sample_id" FROM ${SAMPLES} WHERE "agent" = 'quar' AND "run_id" = 'old'`);
    expect(old.map((r) => r.sample_id).sort()).toEqual(['quar:old:s0', 'quar:old:s1', 'quar:old:s2']);
    expect(await storedCount('quar')).toBe(t.measured + 3);
    recordFigures('spool with an undecodable record and an unencodable one ahead of good ones (real agent start)', {
      sent: t.measured + 5,
      acknowledged: t.delivered,
      stored: t.measured + 3,
      spooled: t.spooled,
      dropped: t.lost,
      rejected: t.quarantined + 1,
      lost: 0,
      duplicated: 0,
      note: 'quarantined 2 (moved to quarantine.jsonl with the reason, counted); the 3 good spooled records and the new run delivered; agent exit 1',
    });
  });
});

/** Bytes in the spool's segment files. */
function segmentBytes(spoolDir: string): number {
  return readdirSync(spoolDir)
    .filter((f) => f.endsWith('.seg'))
    .reduce((n, f) => n + statSync(join(spoolDir, f)).size, 0);
}

describe('the spool on a real filesystem that fails mid-run (ext4 on a loop device)', () => {
  /**
   * The agent spools a 30-s run (collector away, 12 records of an earlier run already spooled);
   * once it has spooled some of this run, `fail` breaks the disk; then the collector comes.
   */
  async function diskFailsMidRun(fs: LoopFs, name: string, fail: () => void) {
    const port = await freePort();
    const work = join(fs.dir, 'work');
    const spoolDir = join(work, 'spool');
    mkdirSync(work, { recursive: true });
    const seed = Spool.open(spoolDir);
    seed.append(Array.from({ length: 12 }, (_, n) => sampleRecord(name, n)));
    seed.close();
    const seeded = segmentBytes(spoolDir);
    writeFileSync(p(`${name}.yaml`), 'tests:\n  cpu: {threads: 1, time: 30, options: {cpu-max-prime: "2000"}}\n');
    const a = agent(`127.0.0.1:${port}`, name, work, ['--profile', p(`${name}.yaml`), '--flush-timeout', '60s']);
    for (let i = 0; i < 2400 && segmentBytes(spoolDir) <= seeded && a.child.exitCode === null; i++) await sleep(25);
    expect(segmentBytes(spoolDir)).toBeGreaterThan(seeded); // some of this run is on the disk
    // The disk fails between two of the agent's writes, while its sysbench still measures: an
    // fsync in flight when ext4 aborts its journal gets EIO, not EROFS (11 of 15 tries of a
    // write+fsync loop here), and on a loaded machine the agent spends long in fsync; a run that
    // had already ended would leave no write to refuse.
    await whileStopped(a.pid, () => {
      expect(childrenNamed(a.pid, 'sysbench'), 'sysbench still running when the disk fails').not.toEqual([]);
      fail();
    });
    // The state asserted: the agent met the failure and said so (it rejects, with what the
    // agent printed, if the agent exits first).
    await a.waitForErr(/the spool cannot be written/, 120_000);
    const c = await startCollectorProc(['--listen', `127.0.0.1:${port}`, '--influx', fx.influxd.url]);
    procs.push(c);
    const exit = await a.exited;
    await stopProc(c);
    return { a, exit, t: finalTally(a), work };
  }

  it('the kernel turns the spool disk read-only mid-run (errors=remount-ro after an ext4 error): the suite stops, everything spooled and held is delivered, exit 1', async (ctx) => {
    const why = loopFsUnavailable();
    if (why) return ctx.skip(`no loop-mounted ext4 here: ${why}`);
    const fs = tryMountLoopFs(p('ro-disk'));
    if (typeof fs === 'string') return ctx.skip(fs);
    if (!existsSync(fs.errorTrigger)) {
      fs.cleanup();
      return ctx.skip(`this kernel has no ${fs.errorTrigger} to raise an ext4 error with`);
    }
    try {
      const { a, exit, t } = await diskFailsMidRun(fs, 'rodisk', () => fs.failReadOnly());
      expect(a.stderr()).toMatch(/"code":"EROFS".*the spool cannot be written: stopping the suite/);
      expect(exit.code).toBe(1);
      expect(t.measured).toBeGreaterThan(0);
      // What was on the disk before is still readable: delivered with what was held in memory.
      expect(t).toMatchObject({ replayed: 12, delivered: t.measured + 12, spooled: 0, lost: 0 });
      expect(await storedCount('rodisk')).toBe(t.measured + 12);
      recordFigures(
        'spool disk turned read-only mid-run by the kernel (ext4 errors=remount-ro on a loop device; real agent, 30 s cpu run, 12 records spooled before, collector away until then)',
        {
          ...tallyCounts(t, 12, t.measured + 12),
          note: `EROFS; exit 1; suite stopped at the first refused write; measured ${t.measured}, delivered ${t.delivered}, spooled ${t.spooled}, dropped ${t.lost}, quarantined ${t.quarantined}`,
        },
      );
    } finally {
      const problems = fs.cleanup();
      expect(problems).toEqual([]);
    }
  }, 180_000);

  it('the spool disk fails with EIO mid-run (ext4 shut down): the agent stops cleanly; what the disk holds is delivered after it is mounted again', async (ctx) => {
    const why = loopFsUnavailable({ python3: true });
    if (why) return ctx.skip(`no loop-mounted ext4 here: ${why}`);
    const fs = tryMountLoopFs(p('eio-disk'));
    if (typeof fs === 'string') return ctx.skip(fs);
    try {
      const { a, exit, t, work } = await diskFailsMidRun(fs, 'eiodisk', () => fs.shutdown());
      expect(a.stderr()).toMatch(/"code":"EIO".*the spool cannot be written: stopping the suite/);
      expect(exit.code).toBe(1);
      expect(t.measured).toBeGreaterThan(0);
      // Records on the dead disk cannot even be read: still spooled, not lost; the ones the disk
      // refused were held in memory and delivered.
      expect(t.lost).toBe(0);
      expect(t.spooled).toBeGreaterThan(0);
      const storedFirst = await storedCount('eiodisk');
      expect(storedFirst).toBe(t.delivered);
      expect(t.delivered + t.spooled).toBe(t.measured + 12);
      // The disk comes back (unmounted, mounted: the journal is replayed): the next agent start
      // delivers everything that was on it.
      fs.remount();
      const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url]);
      procs.push(c);
      const again = agent(c.address, 'eiodisk', work, ['--profile', 'quick', '--tests', 'cpu']);
      const exit2 = await again.exited;
      const t2 = finalTally(again);
      await stopProc(c);
      expect(exit2.code).toBe(0);
      expect(t2).toMatchObject({ delivered: t2.measured + t2.replayed, spooled: 0, lost: 0 });
      expect(t2.replayed).toBeGreaterThanOrEqual(t.spooled); // unacked before: resent, stored once
      expect(await storedCount('eiodisk')).toBe(t.measured + 12 + t2.measured);
      recordFigures(
        'spool disk failing with EIO mid-run (ext4 shut down on a loop device; real agent, 30 s cpu run, 12 records spooled before, collector away until then), then mounted again',
        {
          sent: t.measured + 12 + t2.measured,
          acknowledged: t.delivered + t2.delivered,
          stored: await storedCount('eiodisk'),
          spooled: t2.spooled,
          dropped: t.lost + t2.lost,
          rejected: t.quarantined + t2.quarantined,
          lost: 0,
          duplicated: 0,
          note: `EIO; first agent exit 1: measured ${t.measured}, delivered ${t.delivered} (held in memory), still spooled ${t.spooled} (on the dead disk), dropped ${t.lost}; after the remount the next agent (exit 0) replayed ${t2.replayed} and delivered them with its own ${t2.measured}`,
        },
      );
    } finally {
      const problems = fs.cleanup();
      expect(problems).toEqual([]);
    }
  }, 240_000);
});
