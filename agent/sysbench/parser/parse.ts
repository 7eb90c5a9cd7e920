// Reads any sysbench text (0.4.x, 0.5, 1.0.x, 1.1/master; logs holding several invocations,
// markdown copies, CRLF, lost indentation, interleaved stderr) into Invocation objects.
// Line-oriented and section-aware: `min:` etc. only count inside a latency section, DEBUG
// lines and histogram blocks are skipped, and nothing here throws on any input.
import { isTestName, TESTS, type Invocation, type ResultFields, type TestName } from '../fields.js';
import { TEST_TYPES } from '../../../schema/test-types.js';
import { InvocationBuilder, type Phase } from './builder.js';
import { parseIntervalLine } from './interval.js';
import { durationToMs, leadingNumber, scale, secondsValue, toMiB, printedStep, msFactor } from './numbers.js';
import { MAX_LINE } from '../lines.js';

const N = '([+-]?\\d+(?:\\.\\d+)?)';
const HEADER = /^s?ysbench\s+(\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?)(?:\s*:|\s+\(|\s*$)/;
const COMMAND = /(?:^|[\s#$>/])sysbench\s+(.*)$/;
const ERROR_LINE = /^(?:FATAL|ALERT|ERROR):|^invalid option|^Unknown option/i;
const PERCENTILE_1 = /^(\d+(?:\.\d+)?)th percentile:\s*(.*)$/;
const PERCENTILE_04 = /^approx\.\s+(\d+(?:\.\d+)?) percentile:\s*(.*)$/;
const AVG_STDDEV = new RegExp(`^${N}/${N}`);
const IOPS = new RegExp(`^(read|write|fsync):\\s*IOPS=${N}(?:\\s+${N}\\s*MiB/s)?`);
const FILEIO_04_AMOUNTS = new RegExp(
  `^Read\\s+${N}(b|Kb|Mb|Gb|Tb)\\s+Written\\s+${N}(b|Kb|Mb|Gb|Tb)\\s+Total transferred\\s+${N}(b|Kb|Mb|Gb|Tb)\\s+\\(${N}(b|Kb|Mb|Gb|Tb)/sec\\)`,
);
const REQUESTS_04 = new RegExp(`^${N}\\s+Requests/sec executed`);
const MEMORY_OPS_04 = new RegExp(`^Operations performed:\\s*${N}\\s*\\(\\s*${N}\\s*ops/sec\\)`);
const MEMORY_OPS_10 = new RegExp(`^Total operations:\\s*${N}\\s*\\(\\s*${N}\\s*per second\\)`);
const TRANSFERRED = new RegExp(`^${N}\\s*(MiB|MB|KiB|KB|GiB|GB|Kb|Mb|Gb)\\s+transferred\\s*\\(\\s*${N}\\s*(MiB|MB|KiB|KB|GiB|GB|Kb|Mb|Gb)/sec\\)`);
// 0.4 printed ULLONG_MAX ns as the minimum of a zero-event run: 18446744073709.55 ms.
const SENTINEL_MS = 1e13;

const LATENCY_KEYS: Partial<Record<string, keyof ResultFields>> = {
  min: 'latency_min_ms',
  avg: 'latency_avg_ms',
  max: 'latency_max_ms',
  sum: 'latency_sum_ms',
};

/** Report sections; seeing one twice in a headerless text starts a new invocation. Each ends with ':'. */
const SECTION_HEADERS = new Map<string, string>(
  Object.entries({
    'Running the test with following options:': 'options',
    'CPU speed:': 'cpuspeed',
    'General statistics:': 'general',
    'Test execution summary:': 'general',
    'Throughput:': 'throughput',
    'File operations:': 'fileops',
    'Latency (ms):': 'latency',
    'Threads fairness:': 'fairness',
    'OLTP test statistics:': 'sql',
    'SQL statistics:': 'sql',
  }),
);

/** Each test type's `markers` (schema/test-types.ts): lines that name the test without a command line. */
const TEST_MARKERS: [RegExp, TestName][] = TESTS.map((t) => [TEST_TYPES[t].markers, t]);

class TextParser {
  private done: Invocation[] = [];
  private cur: InvocationBuilder | null = null;
  private pendingWarnings: string[] = [];
  /** 'latency' while min/avg/max/percentile/sum lines belong to a latency block */
  private section = '';

  result(): Invocation[] {
    if (this.cur) this.cur.warnings.push(...this.pendingWarnings);
    this.pendingWarnings = [];
    this.flush();
    return this.done;
  }

  private flush(): void {
    if (this.cur && this.cur.hasContent()) this.done.push(this.cur.finish());
    this.cur = null;
    this.section = '';
  }

  private fresh(): InvocationBuilder {
    this.flush();
    const b = new InvocationBuilder();
    b.warnings.push(...this.pendingWarnings);
    this.pendingWarnings = [];
    this.cur = b;
    return b;
  }

  private ensure(): InvocationBuilder {
    return this.cur ?? this.fresh();
  }

  /** Only error/warning classification for a last line that may have been cut off. */
  partialLine(raw: string): void {
    const t = raw.trim();
    if (!t) return;
    if (ERROR_LINE.test(t)) this.ensure().errors.push(t);
    else if (t.startsWith('WARNING:')) this.ensure().warnings.push(t);
    if (this.cur) this.cur.warnings.push(`parser: last line has no line end (output cut off?), values not read: ${t}`);
  }

  line(raw: string): void {
    const t = raw.trim();
    if (t === '') return;
    const c0 = t.charCodeAt(0);
    if (c0 === 68 /* D */ && t.startsWith('DEBUG:')) return;
    if (c0 === 91 /* [ */) {
      const iv = parseIntervalLine(t);
      if (iv) {
        const b = this.ensure();
        b.intervals.push(iv);
        b.started = true;
        return;
      }
    }
    if (this.section === 'histogram' && /^[\d.]+\s*\|/.test(t)) return;

    if (c0 === 87 /* W */ && t.startsWith('WARNING:')) {
      if (this.cur && !this.cur.complete && !this.cur.phaseDone) this.cur.warnings.push(t);
      else this.pendingWarnings.push(t);
      return;
    }
    // First-character gates keep the per-line cost low (the runner parses every line).
    if ((c0 === 70 || c0 === 65 || c0 === 69 || c0 === 73 || c0 === 105 || c0 === 85 || c0 === 117) && ERROR_LINE.test(t)) {
      this.ensure().errors.push(t);
      return;
    }

    const header = c0 === 115 /* s */ || c0 === 121 /* y */ ? HEADER.exec(t) : null;
    if (header) {
      const b = this.cur && !this.cur.hasHeader && !this.cur.hasContent() ? this.cur : this.fresh();
      b.version = header[1]!;
      b.hasHeader = true;
      b.warnings.push(...this.pendingWarnings);
      this.pendingWarnings = [];
      return;
    }
    if (t.includes('sysbench')) {
      const cmd = COMMAND.exec(t);
      if (cmd && this.command(cmd[1]!)) return;
    }

    const b = this.cur;
    // Looking every line up cost an eighth of a parse (each line's text hashed): only a line
    // ending with ':' can be a header. A Map, so a line such as 'constructor' is no header.
    const sectionName = t.charCodeAt(t.length - 1) === 58 /* : */ ? SECTION_HEADERS.get(t) : undefined;
    if (sectionName !== undefined || t.startsWith('Latency histogram')) {
      const name = sectionName ?? 'histogram';
      let target = this.ensure();
      if (target.complete || target.sections.has(name)) target = this.fresh();
      target.sections.add(name);
      target.started = true;
      this.section = name;
      if (name === 'cpuspeed') target.outputTest = 'cpu';
      if (name === 'fileops') target.outputTest = 'fileio';
      return;
    }
    if (t === 'per-request statistics:' || t === 'response time:') {
      this.section = 'latency';
      return;
    }
    this.fieldLine(t, b);
  }

  /** A logged command line (`$ sysbench --test=cpu run`) opens an invocation when it runs a phase. */
  private command(args: string): boolean {
    const words = args.split(/\s+/);
    let phase: Phase | null = null;
    let test: TestName | null = null;
    let named = false;
    for (const w of words) {
      if (w === 'run' || w === 'prepare' || w === 'cleanup') phase = w;
      const m = /^--test=(\S+)$/.exec(w);
      if (m) {
        named = true;
        if (isTestName(m[1])) test = m[1];
      } else if (!w.startsWith('-') && isTestName(w) && !named) {
        named = true;
        test = w;
      }
    }
    if (!phase) return false;
    const b = this.fresh();
    b.commandPhase = phase;
    b.commandTest = test;
    return true;
  }

  private markTest(b: InvocationBuilder, t: string): void {
    if (b.outputTest) return;
    for (const [re, test] of TEST_MARKERS) {
      if (re.test(t)) {
        b.outputTest = test;
        return;
      }
    }
  }

  private fieldLine(t: string, existing: InvocationBuilder | null): void {
    const colon = t.indexOf(':');
    const key = colon >= 0 ? t.slice(0, colon) : '';
    const value = colon >= 0 ? t.slice(colon + 1) : '';

    // Latency block values (1.0+: bare ms; 0.4/0.5: unit after each value).
    if (this.section === 'latency' && existing) {
      const b = existing;
      const f = LATENCY_KEYS[key];
      if (f) {
        const ms = durationToMs(value);
        if (ms !== undefined && ms < SENTINEL_MS) b.set(f, ms, printedStep(value, msFactor(value)));
        return;
      }
      const p = PERCENTILE_1.exec(t) ?? PERCENTILE_04.exec(t);
      if (p) {
        const pct = Number(p[1]);
        const ms = durationToMs(p[2]!);
        // One percentile per result: the first printed (95 unless --percentile); 0 < p <= 100.
        if (b.fields.latency_pct_ms === undefined && pct > 0 && pct <= 100 && ms !== undefined && ms < SENTINEL_MS) {
          b.set('latency_pct', pct);
          b.set('latency_pct_ms', ms, printedStep(p[2]!, msFactor(p[2]!)));
        }
        return;
      }
      if (key === 'percentile stats') return;
    }

    switch (key) {
      case 'Number of threads': {
        const n = leadingNumber(value);
        if (n !== undefined) this.ensure().threads = n;
        return;
      }
      case 'events per second': {
        const b = this.ensure();
        b.outputTest ??= 'cpu';
        b.setIfAbsent('events_per_sec', leadingNumber(value), printedStep(value));
        return;
      }
      case 'events/s (eps)':
        this.ensure().set('events_per_sec', leadingNumber(value), printedStep(value));
        return;
      case 'total time':
      case 'time elapsed':
        this.ensure().set('total_time_s', secondsValue(value.replace(/\(.*$/, '')), printedStep(value, /^\s*[\d.]+\s*ms/.test(value) ? 1e-3 : 1));
        return;
      case 'total number of events':
        this.ensure().set('total_events', leadingNumber(value), printedStep(value));
        return;
      case 'total time taken by event execution': {
        // 0.4/0.5 print the sum of event times in seconds; 1.0 prints it as `sum` in ms.
        const s = secondsValue(value);
        this.ensure().setIfAbsent('latency_sum_ms', s === undefined ? undefined : scale(s, 1000), printedStep(value, /^\s*[\d.]+\s*ms/.test(value) ? 1 : 1000));
        return;
      }
      case 'events (avg/stddev)':
      case 'execution time (avg/stddev)': {
        const m = AVG_STDDEV.exec(value.trim());
        const b = this.ensure();
        if (m) {
          const events = key.startsWith('events');
          b.set(events ? 'fairness_events_avg' : 'fairness_exec_time_avg', Number(m[1]), printedStep(m[1]!));
          b.set(events ? 'fairness_events_stddev' : 'fairness_exec_time_stddev', Number(m[2]), printedStep(m[2]!));
        }
        if (!key.startsWith('events')) b.complete = true;
        return;
      }
      case 'reads/s':
      case 'writes/s':
      case 'fsyncs/s': {
        const b = this.ensure();
        b.outputTest ??= 'fileio';
        b.set(key === 'reads/s' ? 'reads_per_sec' : key === 'writes/s' ? 'writes_per_sec' : 'fsyncs_per_sec', leadingNumber(value), printedStep(value));
        return;
      }
      case 'read, MiB/s':
      case 'written, MiB/s': {
        const b = this.ensure();
        b.outputTest ??= 'fileio';
        b.set(key.startsWith('read') ? 'read_mib_per_sec' : 'written_mib_per_sec', leadingNumber(value), printedStep(value));
        return;
      }
    }

    const c0 = t.charCodeAt(0);
    const digit = c0 >= 48 && c0 <= 57;
    const iops = c0 === 114 || c0 === 119 || c0 === 102 ? IOPS.exec(t) : null;
    if (iops) {
      const b = this.ensure();
      b.outputTest ??= 'fileio';
      const kind = iops[1];
      b.set(kind === 'read' ? 'reads_per_sec' : kind === 'write' ? 'writes_per_sec' : 'fsyncs_per_sec', Number(iops[2]), printedStep(iops[2]!));
      if (iops[3] !== undefined && kind !== 'fsync') b.set(kind === 'read' ? 'read_mib_per_sec' : 'written_mib_per_sec', Number(iops[3]), printedStep(iops[3]));
      return;
    }
    let m = c0 === 84 ? MEMORY_OPS_10.exec(t) : c0 === 79 ? MEMORY_OPS_04.exec(t) : null;
    if (m) {
      const b = this.ensure();
      b.outputTest ??= 'memory';
      b.started = true;
      b.set('operations', Number(m[1]), printedStep(m[1]!));
      b.set('operations_per_sec', Number(m[2]), printedStep(m[2]!));
      return;
    }
    m = digit ? TRANSFERRED.exec(t) : null;
    if (m) {
      const b = this.ensure();
      b.outputTest ??= 'memory';
      b.set('transferred_mib', toMiB(Number(m[1]), m[2]!), printedStep(m[1]!, toMiB(1, m[2]!)));
      b.set('mib_per_sec', toMiB(Number(m[3]), m[4]!), printedStep(m[3]!, toMiB(1, m[4]!)));
      return;
    }
    m = c0 === 82 ? FILEIO_04_AMOUNTS.exec(t) : null;
    if (m) {
      // 0.4 fileio prints only the combined amount and rate, auto-scaled in binary units.
      const b = this.ensure();
      b.outputTest ??= 'fileio';
      b.set('transferred_mib', toMiB(Number(m[5]), m[6]!), printedStep(m[5]!, toMiB(1, m[6]!)));
      b.set('mib_per_sec', toMiB(Number(m[7]), m[8]!), printedStep(m[7]!, toMiB(1, m[8]!)));
      return;
    }
    m = digit ? REQUESTS_04.exec(t) : null;
    if (m) {
      const b = this.ensure();
      b.outputTest ??= 'fileio';
      b.set('events_per_sec', Number(m[1]), printedStep(m[1]!));
      return;
    }

    // Phase evidence and test markers.
    if (t.startsWith('Threads started!')) {
      if (existing) existing.started = true;
      return;
    }
    if (t.startsWith('Creating files for the test') || t.startsWith('Creating file test_file')) {
      const b = this.ensure();
      b.outputPhase = 'prepare';
      b.sawCreatingFiles = true;
      b.outputTest ??= 'fileio';
      return;
    }
    if (/^\d+ bytes written in [\d.]+ seconds/.test(t)) {
      const b = this.ensure();
      b.outputPhase = 'prepare';
      b.phaseDone = true;
      b.outputTest ??= 'fileio';
      return;
    }
    if (t.startsWith('Removing test files')) {
      const b = this.ensure();
      b.outputPhase = 'cleanup';
      b.phaseDone = true;
      b.outputTest ??= 'fileio';
      return;
    }
    // Test markers start with one of these letters: D(oing) P(rime) M(aximum/Memory) T(hread) R(unning) E(xtra) O(perations).
    if (existing && !existing.outputTest && (c0 === 68 || c0 === 80 || c0 === 77 || c0 === 84 || c0 === 82 || c0 === 69 || c0 === 79))
      this.markTest(existing, t);
  }
}

/** The parser without the safety net; tests call it so an internal bug cannot hide. */
export function parseSysbenchOutputStrict(text: string): Invocation[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  // Most texts end lines with \n only: a plain split is much cheaper than the regex.
  const lines = text.includes('\r') ? text.split(/\r\n|\r|\n/) : text.split('\n');
  const p = new TextParser();
  const last = lines.length - 1;
  // Untrusted text: a line is read up to MAX_LINE characters, so no line costs more than that.
  const cap = (line: string) => (line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);
  for (let i = 0; i < last; i++) p.line(cap(lines[i]!));
  // A text that does not end with a line end may have been cut mid-line: its last line's
  // numbers could be truncated ("7318" -> "73"), so only its error/warning text is kept.
  if (lines[last]) p.partialLine(cap(lines[last]!));
  return p.result();
}

export function parseSysbenchOutput(text: string): Invocation[] {
  try {
    return parseSysbenchOutputStrict(text);
  } catch {
    // Defensive: the contract is "never throws"; an internal bug must not crash the agent.
    return [];
  }
}

export function detectSysbenchVersion(text: string): string | null {
  for (const line of text.split(/\r\n|\r|\n/, 200)) {
    const m = HEADER.exec(line.trim());
    if (m) return m[1]!;
  }
  return null;
}
