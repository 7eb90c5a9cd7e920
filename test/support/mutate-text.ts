// Text mutations for the parser's fuzz and golden tests (one definition, so both read the same
// inputs): cuts, nasty insertions, deletions, duplicated lines, CRLF and lost indentation.
const NASTY = [
  '\r',
  '\n',
  ':',
  '.',
  '9',
  'e',
  '-',
  'ms',
  's',
  '/',
  '[',
  ']',
  '%',
  '(',
  ')',
  'Infinity',
  'NaN',
  '1e999',
  '9'.repeat(400),
  '\u0000',
  'µ',
  'WARNING: x',
  'FATAL: y',
  'sysbench 1.0.20 (x)',
  'Latency (ms):',
  'Threads fairness:',
];

export function mutate(text: string, r: () => number): string {
  let s = text;
  const ops = 1 + Math.floor(r() * 6);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0:
        s = s.slice(0, at);
        break; // cut off
      case 1:
        s = s.slice(0, at) + NASTY[Math.floor(r() * NASTY.length)] + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 40));
        break;
      case 3: {
        const lines = s.split('\n');
        const i = Math.floor(r() * lines.length);
        lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!);
        s = lines.join('\n');
        break;
      }
      case 4: {
        const lines = s.split('\n');
        s = lines.map((l) => (r() < 0.3 ? l.trim() : l)).join(r() < 0.5 ? '\r\n' : '\n');
        break;
      }
      default:
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at + 1);
    }
  }
  return s;
}
