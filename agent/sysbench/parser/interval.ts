// One `--report-interval` line of any sysbench version and test -> IntervalFields, or null.
// The runner calls this on every stdout line as it arrives, so non-interval lines must be
// rejected by the first character check before any regular expression runs.
import type { IntervalFields } from '../fields.js';

const HEAD = /^\s*\[\s*(\d+(?:\.\d+)?)s\s*\]\s?(.*)$/;
const NUM = '([+-]?\\d+(?:\\.\\d+)?)';

// Each pattern reads one labelled value; order does not matter, a label appears once.
const PATTERNS: { re: RegExp; apply: (m: RegExpExecArray, out: IntervalFields) => void }[] = [
  // 1.0+: thds: 2   0.5: threads: 2,
  { re: new RegExp(`\\b(?:thds|threads):\\s*${NUM}`), apply: (m, o) => (o.threads = Number(m[1])) },
  // 1.0+ built-in tests: eps: 40934.89
  { re: new RegExp(`\\beps:\\s*${NUM}`), apply: (m, o) => (o.events_per_sec = Number(m[1])) },
  // 0.5 / 1.0 Lua (OLTP) tests: tps: transactions (= events) per second
  { re: new RegExp(`\\btps:\\s*${NUM}`), apply: (m, o) => (o.events_per_sec = Number(m[1])) },
  // 1.0+: lat (ms,95%): 0.03   fileio: latency (ms,95%): 0.123
  {
    re: new RegExp(`\\b(?:lat|latency) \\(ms,\\s*${NUM}%\\):\\s*${NUM}`),
    apply: (m, o) => {
      o.latency_pct = Number(m[1]);
      o.latency_pct_ms = Number(m[2]);
    },
  },
  // 0.5: response time: 3.61ms (95%)
  {
    re: new RegExp(`\\bresponse time:\\s*${NUM}ms\\s*\\(${NUM}%\\)`),
    apply: (m, o) => {
      o.latency_pct_ms = Number(m[1]);
      o.latency_pct = Number(m[2]);
    },
  },
  // 1.0 fileio: reads: 12.34 MiB/s writes: 8.22 MiB/s fsyncs: 100.00/s
  { re: new RegExp(`\\breads:\\s*${NUM}\\s*MiB/s`), apply: (m, o) => (o.read_mib_per_sec = Number(m[1])) },
  { re: new RegExp(`\\bwrites:\\s*${NUM}\\s*MiB/s`), apply: (m, o) => (o.written_mib_per_sec = Number(m[1])) },
  { re: new RegExp(`\\bfsyncs:\\s*${NUM}/s`), apply: (m, o) => (o.fsyncs_per_sec = Number(m[1])) },
  // 0.5: reads: 10906.37, writes: 0.00,   or reads/s: ..., writes/s: ...  (per second, no unit)
  { re: new RegExp(`\\breads(?:/s)?:\\s*${NUM}(?!\\s*MiB)(?:,|\\s|$)`), apply: (m, o) => (o.reads_per_sec = Number(m[1])) },
  { re: new RegExp(`\\bwrites(?:/s)?:\\s*${NUM}(?!\\s*MiB)(?:,|\\s|$)`), apply: (m, o) => (o.writes_per_sec = Number(m[1])) },
  // 1.0 OLTP: (r/w/o: 7798.34/2232.24/1115.62)
  {
    re: new RegExp(`\\(r/w/o:\\s*${NUM}/${NUM}/${NUM}\\)`),
    apply: (m, o) => {
      o.reads_per_sec = Number(m[1]);
      o.writes_per_sec = Number(m[2]);
    },
  },
  // memory: [ 1s ] 11869.57 MiB/sec
  { re: new RegExp(`^${NUM}\\s*MiB/sec`), apply: (m, o) => (o.mib_per_sec = Number(m[1])) },
  // 1.0 with --rate: queue length: 0
  { re: new RegExp(`\\bqueue length:\\s*${NUM}`), apply: (m, o) => (o.queue_length = Number(m[1])) },
  { re: new RegExp(`\\b(?:err/s|errors):\\s*${NUM}`), apply: (m, o) => (o.errors_per_sec = Number(m[1])) },
  { re: new RegExp(`\\b(?:reconn/s|reconnects):\\s*${NUM}`), apply: (m, o) => (o.reconnects_per_sec = Number(m[1])) },
];

export function parseIntervalLine(line: string): IntervalFields | null {
  // Cheap reject: the first non-space character of an interval line is '['.
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  if (line.charCodeAt(i) !== 91 /* [ */) return null;
  const head = HEAD.exec(line.replace(/\r$/, ''));
  if (!head) return null;
  const elapsed = Number(head[1]);
  if (!Number.isFinite(elapsed)) return null;
  const out: IntervalFields = { elapsed_s: elapsed };
  const rest = head[2]!.trim();
  let found = 0;
  for (const p of PATTERNS) {
    const m = p.re.exec(rest);
    if (m) {
      p.apply(m, out);
      found++;
    }
  }
  // A bracketed time with nothing we understand is not a sample.
  if (found === 0) return null;
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isFinite(v)) delete (out as Record<string, number>)[k];
  }
  return out;
}
