// The line splitter for sysbench's untrusted output: every expected value is worked out by hand.
import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE, MAX_OUTPUT } from './lines.js';

describe('LineSplitter', () => {
  it('splits across chunk boundaries and keeps the text with its line ends', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    for (const chunk of ['ab', 'c\nde', 'f\n\ngh', 'i\n']) s.push(chunk);
    s.end();
    expect(lines).toEqual(['abc', 'def', '', 'ghi']);
    expect(s.text()).toBe('abc\ndef\n\nghi\n');
  });

  it('an unterminated last line counts, and the text says so (no final newline)', () => {
    const s = new LineSplitter();
    s.push('a\nb');
    s.end();
    expect(s.text()).toBe('a\nb');
  });

  it(`a line longer than MAX_LINE (${MAX_LINE}) is cut there, in pieces of any size`, () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const piece = 'x'.repeat(10_000);
    for (let i = 0; i < 20; i++) s.push(piece); // 200 000 characters, one line
    s.push('\nok\n');
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE, 2]);
    expect(s.truncatedLines).toBe(1);
  });

  it(`past MAX_OUTPUT (${MAX_OUTPUT}) the oldest half of the kept text goes; the end (the report) stays`, () => {
    const s = new LineSplitter();
    const line = 'y'.repeat(MAX_LINE - 1); // MAX_LINE characters with its newline
    const n = MAX_OUTPUT / MAX_LINE + 1; // one line over the cap
    for (let i = 0; i < n; i++) s.push(line + '\n');
    s.push('final report\n');
    const text = s.text();
    expect(text.endsWith('final report\n')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(MAX_OUTPUT);
    expect(s.droppedChars).toBe(MAX_OUTPUT / 2 + MAX_LINE); // whole lines, just past half of n lines
  });

  it('keep=false: lines go to the callback only', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), false);
    s.push('a\nb\n');
    expect(lines).toEqual(['a', 'b']);
    expect(s.text()).toBe('');
  });
});
