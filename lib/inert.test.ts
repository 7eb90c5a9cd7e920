// Stored text reaches a terminal inert: each unsafe character becomes a visible escape, written
// out here by hand; safe text passes unchanged.
import { describe, expect, it } from 'vitest';
import { inert, inertJson, inertOutput, quote } from './inert.js';

// The forged line: clear screen, set the window title, then a line of our own.
const ATTACK = '6.1\u001b[2J\u001b]0;owned\u0007\nall guests: equivalent';

describe('inert', () => {
  it('escapes C0, DEL and C1 controls, bidi and zero-width format characters, line separators and lone surrogates', () => {
    expect(inert(ATTACK)).toBe('6.1\\x1b[2J\\x1b]0;owned\\x07\\x0aall guests: equivalent');
    expect(inert('a\u007fb\u0085c\u009bd')).toBe('a\\x7fb\\x85c\\x9bd');
    expect(inert('x\u202ey\u2066z\u2069\u200b')).toBe('x\\u202ey\\u2066z\\u2069\\u200b');
    expect(inert('p\u2028q\u2029')).toBe('p\\u2028q\\u2029');
    expect(inert('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(inert('tag \u{e0041}')).toBe('tag \\u{e0041}');
  });

  it('leaves printable text alone, including non-ASCII letters and emoji', () => {
    const ok = 'Intel(R) Xeon(R) — Größe 😀 \u00a0 "quoted" back\\slash';
    expect(inert(ok)).toBe(ok);
  });

  it("inertOutput keeps a printer's own line breaks and tabs, escapes the rest", () => {
    expect(inertOutput('a\tb\nc\u001b[31m\r\n')).toBe('a\tb\nc\\x1b[31m\\x0d\n');
  });

  it('inertJson is the same JSON value with C1 and format characters as \\u escapes', () => {
    const value = { kernel: ATTACK, model: 'x\u009b\u202ey', emoji: '😀', tag: '\u{e0041}' };
    const text = inertJson(value, 2);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).toContain('x\\u009b\\u202ey');
    expect(text).toContain('\\udb40\\udc41');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('quote cuts and quotes a value for a message', () => {
    expect(quote('a\u001bb')).toBe("'a\\x1bb'");
    expect(quote('x'.repeat(70), 64)).toBe(`'${'x'.repeat(64)}…'`);
    expect(quote(42)).toBe("'42'");
  });
});
