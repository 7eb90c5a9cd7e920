// Text that came from outside (stored facts, tag values, sysbench's output, an agent's hello)
// reaches a terminal or a log only inert: control characters (C0, DEL, C1: escape sequences
// that clear the screen, set the window title, move the cursor), format characters (bidi
// overrides and isolates that reorder a line, zero-width characters) and line separators are
// shown as escapes (`\x1b`, `\u202e`), never sent as they are. Every terminal printer goes
// through one of these (report, report --changes, detect, parse).

const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** What JSON.stringify leaves raw: DEL, C1, format characters, separators (C0 it escapes; a raw line break is layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** As UNSAFE, but a printer's own line breaks and tabs stay. */
const UNSAFE_KEEP_LAYOUT = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

function escape(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/** One stored value, for a line of a terminal: every unsafe character escaped, line breaks too. */
export function inert(value: string): string {
  return value.replace(UNSAFE, escape);
}

/** A printer's whole output: unsafe characters escaped, its own line breaks and tabs kept. */
export function inertOutput(text: string): string {
  return text.replace(UNSAFE_KEEP_LAYOUT, escape);
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls but leaves C1, bidi and the other
 * format characters raw; here they are \u escapes too (the same JSON value once parsed).
 */
export function inertJson(value: unknown, space?: number): string {
  return inertJsonText(JSON.stringify(value, null, space));
}

/** JSON text already made (a log line): the same escapes, the same value. */
export function inertJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''));
}

/** A value quoted for a message or a log line: inert and cut to `max` characters. */
export function quote(value: unknown, max = 64): string {
  const s = typeof value === 'string' ? value : String(value);
  return `'${inert(s.length > max ? `${s.slice(0, max)}…` : s)}'`;
}
