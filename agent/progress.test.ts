// The terminal progress line and the end-of-run table, fed the calls the suite makes.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { allProgress, terminalProgress } from './progress.js';
import { StatusLine } from '../lib/terminal.js';
import { screenLines } from '../test/support/screen.js';
import { RunSummary } from './summary.js';
import type { TestSpec } from './sysbench/profiles.js';

function tty(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({ write: (chunk: Buffer, _e, cb) => ((out += chunk.toString()), cb()) });
  return { stream: Object.assign(w, { isTTY: true }) as unknown as NodeJS.WriteStream, text: () => out };
}
const spec = (time: number): TestSpec => ({ time }) as TestSpec;

describe('terminal progress', () => {
  it('counts trials the RSD rule adds: the total grows, never [5/4], time left never negative', () => {
    const t = tty();
    const p = terminalProgress(t.stream);
    p.startSuite(
      [
        { test: 'memory', spec: spec(2) },
        { test: 'mutex', spec: spec(1) },
      ],
      2,
    );
    // memory: 2 planned + 2 added (trials disagree); mutex: 2 planned
    for (const trial of [1, 2, 3, 4]) {
      p.startTest('memory', trial);
      p.endTest('memory', trial, true);
    }
    for (const trial of [1, 2]) {
      p.startTest('mutex', trial);
      p.endTest('mutex', trial, true);
    }
    const lines = t
      .text()
      .split(/\r\x1b\[K|\n/)
      .filter(Boolean);
    const counters = lines.map((l) => /^\[(\d+)\/(\d+)\]/.exec(l)!).map((m) => [Number(m[1]), Number(m[2])]);
    for (const [k, n] of counters) expect(k).toBeLessThanOrEqual(n!);
    expect(counters.at(-1)).toEqual([6, 6]);
    expect(t.text()).not.toMatch(/about -/);
    expect(t.text()).toContain('[3/5] memory trial 3/3 (added: trials disagree)');
    // at memory's added trial 3: that trial (2 s) + mutex 2 × 1 s
    expect(t.text()).toMatch(/memory trial 3\/3 .* about 4s left/);
    expect(t.text()).toMatch(/mutex trial 2\/2 .* about 1s left/);
  });

  it('log lines written meanwhile land on lines of their own, never inside the progress line', () => {
    const t = tty();
    const line = new StatusLine(t.stream);
    const p = terminalProgress(t.stream, line);
    p.startSuite([{ test: 'cpu', spec: spec(8) }], 2);
    p.startTest('cpu', 1);
    line.writeAbove('[03:18:31] INFO (agent): trial added\n');
    line.writeAbove('[03:18:32] WARN (agent): no newline at the end');
    p.endTest('cpu', 1, true);
    line.writeAbove('[03:18:33] INFO (agent): between trials\n');
    p.startTest('cpu', 2);
    const screen = screenLines(t.text());
    expect(screen).toEqual([
      '[03:18:31] INFO (agent): trial added',
      '[03:18:32] WARN (agent): no newline at the end',
      '[1/2] cpu trial 1: ok',
      '[03:18:33] INFO (agent): between trials',
      expect.stringMatching(/^\[2\/2\] cpu trial 2\/2 — \d+s elapsed, about 8s left$/),
    ]);
  });

  it('is silent when stderr is not a terminal', () => {
    const t = tty();
    (t.stream as { isTTY: boolean }).isTTY = false;
    const p = terminalProgress(t.stream);
    p.startSuite([{ test: 'cpu', spec: spec(1) }], 1);
    p.startTest('cpu', 1);
    expect(t.text()).toBe('');
  });
});

describe('end-of-run table', () => {
  it('per test: trials, headline metric, mean and RSD (checked against hand-computed values)', () => {
    const s = new RunSummary();
    const p = allProgress(s);
    p.startSuite([], 3);
    // cpu events/s 100, 110, 120: mean 110, sample sd 10, RSD 9.09 %
    for (const v of [100, 110, 120]) p.endTest('cpu', 1, true, { events_per_sec: v, total_time_s: 1 });
    p.endTest('mutex', 1, true, { total_time_s: 0.25 });
    p.endTest('mutex', 2, false);
    p.endTest('fileio', 1, false);
    const rows = s
      .format()
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['test', 'trials', 'metric', 'mean', 'spread (RSD)']);
    expect(rows[1]).toEqual(['cpu', '3', 'events_per_sec', '110.0', '9.1 %']);
    expect(rows[2]).toEqual(['mutex', '1 (+1 failed)', 'total_time_s', '0.2500', '-']);
    expect(rows[3]).toEqual(['fileio', '0 (+1 failed)', '-', '-', '-']);
  });

  it('groups thousands and prints nothing when nothing ran', () => {
    const s = new RunSummary();
    s.endTest('memory', 1, true, { mib_per_sec: 16360.4 });
    expect(s.format()).toMatch(/memory\s+1\s+mib_per_sec\s+16 360/);
    expect(new RunSummary().format()).toBe('');
  });
});
