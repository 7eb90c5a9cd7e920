// Every rule of the collector's message validation, each at its boundary: the last value that
// passes and the first that fails, with the message a user reads. Limits are written out here
// by hand (128/256/64 bytes, 2000-01-01, now + 1 day, 1e15 ...), not imported from the code.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentStatus__Output, IntervalSample__Output, Result__Output } from '../../proto/index.js';
import { hello, NOW_MS, NOW_NS, result as validResult, sample as validSample, status as validStatus } from '../../test/support/messages.js';
import {
  agentClockOffsetSeconds,
  checkString,
  clockSkewSeconds,
  validateHello,
  validateResult,
  validateSample,
  validateStatus,
  ValidationError,
} from './validate.js';

// A fixed clock: timestamps are checked against now + 1 day.
const NOW = BigInt(NOW_NS);
const DAY_NS = 86_400_000_000_000n;
const Y2000_NS = 946_684_800_000_000_000n; // 2000-01-01T00:00:00Z = 946 684 800 s
beforeEach(() => vi.spyOn(Date, 'now').mockReturnValue(NOW_MS));
afterEach(() => vi.restoreAllMocks());

const str = (n: number, c = 'a') => c.repeat(n);
// The shared valid messages, varied by the field under test.
const result = (over: Partial<Result__Output> = {}) => validResult('res-1', over);
const sample = (over: Partial<IntervalSample__Output> = {}) => validSample('smp-1', over);
const status = (over: Partial<AgentStatus__Output> = {}) => validStatus('st-1', over);

/** Asserts a ValidationError (not any error) with this message. */
function refuses(f: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ValidationError').toBeInstanceOf(ValidationError);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

describe('checkString', () => {
  it('returns the value; empty only when allowed', () => {
    expect(checkString('x', 'n', 1)).toBe('x');
    expect(checkString('', 'n', 1, true)).toBe('');
    refuses(() => checkString('', 'n', 1), 'n is empty');
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(checkString(str(8), 'n', 8)).toBe(str(8));
    refuses(() => checkString(str(9), 'n', 8), 'n is longer than 8 bytes');
    expect(checkString('éééé', 'n', 8)).toBe('éééé'); // 4 characters, 8 bytes
    refuses(() => checkString('ééééa', 'n', 8), 'n is longer than 8 bytes');
  });

  it('refuses C0 and C1 controls, DEL, bidi and other format characters, line separators and backslashes; allows the rest', () => {
    const unprintable = ['\u0000', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0080', '\u009b', '\u009f'];
    const format = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200b', '\u200e', '\u00ad', '\ufeff'];
    for (const c of [...unprintable, ...format, '\u2028', '\u2029', '\ud800'])
      refuses(() => checkString(`a${c}b`, 'n', 10), 'n contains a control, format or bidi character');
    refuses(() => checkString('a\\b', 'n', 10), 'n contains a backslash');
    // Just outside the refused ranges: U+00A0 (no-break space), U+202F, U+2065 is unassigned but not a format character.
    expect(checkString('a b,c=d"e\u00a0ü\u202f', 'n', 20)).toBe('a b,c=d"e\u00a0ü\u202f');
  });

  it('refuses a value that is not a string', () => {
    refuses(() => checkString(42 as unknown as string, 'n', 10), 'n must be a string');
  });
});

describe('validateHello', () => {
  it('accepts a good hello and returns it', () => {
    const h = hello();
    expect(validateHello(h)).toBe(h);
  });

  it('the first message must be a hello; protocol 1 is the oldest accepted', () => {
    refuses(() => validateHello(null), 'the first message must be a hello');
    refuses(() => validateHello(undefined), 'the first message must be a hello');
    expect(validateHello(hello({ protocol_version: 1 })).protocol_version).toBe(1);
    refuses(() => validateHello(hello({ protocol_version: 0 })), 'protocol version 0 is too old (minimum 1)');
  });

  it('agent_id, hostname and group: non-empty, at most 128 bytes', () => {
    for (const k of ['agent_id', 'hostname', 'group'] as const) {
      expect(validateHello(hello({ [k]: str(128) }))[k]).toBe(str(128));
      refuses(() => validateHello(hello({ [k]: str(129) })), `hello.${k} is longer than 128 bytes`);
      refuses(() => validateHello(hello({ [k]: '' })), `hello.${k} is empty`);
      refuses(() => validateHello(hello({ [k]: 'a\nb' })), `hello.${k} contains a control, format or bidi character`);
      refuses(() => validateHello(hello({ [k]: 'a\u009bb' })), `hello.${k} contains a control, format or bidi character`);
      refuses(() => validateHello(hello({ [k]: 'admin\u202egpj.exe' })), `hello.${k} contains a control, format or bidi character`);
    }
  });

  it('role is baseline or guest', () => {
    expect(validateHello(hello({ role: 'baseline' })).role).toBe('baseline');
    refuses(() => validateHello(hello({ role: 'Guest' })), "hello.role 'Guest' is not one of baseline, guest");
    refuses(() => validateHello(hello({ role: '' })), "hello.role '' is not one of baseline, guest");
  });

  it('variant and parent_agent may be empty, up to 128 bytes; agent and sysbench versions may be empty, up to 64', () => {
    for (const k of ['variant', 'parent_agent'] as const) {
      expect(validateHello(hello({ [k]: str(128) }))[k]).toBe(str(128));
      refuses(() => validateHello(hello({ [k]: str(129) })), `hello.${k} is longer than 128 bytes`);
      refuses(() => validateHello(hello({ [k]: 'a\\b' })), `hello.${k} contains a backslash`);
    }
    expect(validateHello(hello({ parent_agent: undefined })).agent_id).toBe('agent-1'); // an older agent sends none
    for (const k of ['agent_version', 'sysbench_version'] as const) {
      expect(validateHello(hello({ [k]: '' }))[k]).toBe('');
      expect(validateHello(hello({ [k]: str(64) }))[k]).toBe(str(64));
      refuses(() => validateHello(hello({ [k]: str(65) })), `hello.${k} is longer than 64 bytes`);
    }
  });

  it('environment must be present; virt, container and kvm are lower-case tokens of 1..32 characters', () => {
    refuses(() => validateHello(hello({ environment: null })), 'hello.environment is missing');
    for (const k of ['virt', 'container', 'kvm'] as const) {
      for (const ok of ['a', '0', 'qemu-tcg', str(32)]) expect(validateHello(hello({}, { [k]: ok })).environment![k]).toBe(ok);
      refuses(() => validateHello(hello({}, { [k]: '' })), `hello.environment.${k} is empty`);
      for (const bad of ['-kvm', 'KVM', 'kvm_x', 'a b', str(33)])
        refuses(() => validateHello(hello({}, { [k]: bad })), `hello.environment.${k} must be lower-case letters, digits and dashes (at most 32)`);
    }
  });

  it('detection_json up to 64 KiB', () => {
    expect(validateHello(hello({}, { detection_json: str(65_536) })).environment!.detection_json.length).toBe(65_536);
    refuses(() => validateHello(hello({}, { detection_json: str(65_537) })), 'hello.environment.detection_json is over 64 KiB');
  });

  it('declared: at most 32 entries; keys 1..64 bytes, values up to 256 bytes, no control characters', () => {
    const n = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(validateHello(hello({}, { declared: n(32) })).environment!.declared)).toHaveLength(32);
    refuses(() => validateHello(hello({}, { declared: n(33) })), 'hello.environment.declared has more than 32 entries');
    expect(validateHello(hello({}, { declared: { [str(64)]: str(256) } }))).toBeTruthy();
    expect(validateHello(hello({}, { declared: { k: '' } }))).toBeTruthy();
    refuses(() => validateHello(hello({}, { declared: { [str(65)]: 'v' } })), 'hello.environment.declared key is longer than 64 bytes');
    refuses(() => validateHello(hello({}, { declared: { '': 'v' } })), 'hello.environment.declared key is empty');
    refuses(() => validateHello(hello({}, { declared: { k: str(257) } })), 'hello.environment.declared.k is longer than 256 bytes');
    // Facts are text, not tags: a backslash is allowed, controls are not.
    expect(validateHello(hello({}, { declared: { k: 'a\\' } }))).toBeTruthy();
    refuses(() => validateHello(hello({}, { declared: { k: 'a\u001b[2J' } })), 'hello.environment.declared.k contains a control, format or bidi character');
  });

  it('host facts: os, kernel and cpu_model up to 256 bytes, arch up to 32, printable; cpus 0..65 536; memory up to 2^52 bytes', () => {
    const facts = { os: 'Debian 12', kernel: '6.1.0-18-amd64', arch: 'x64', cpu_model: 'AMD EPYC', cpus: 2, memory_bytes: '1024' };
    const withHost = (over: Record<string, unknown>) => hello({ host: { ...facts, ...over } as never });
    expect(validateHello(hello({ host: null })).host).toBeNull(); // an agent may send none
    expect(validateHello(withHost({ kernel: str(256), os: str(256), cpu_model: str(256), arch: str(32) }))).toBeTruthy();
    // The attack: a 900 KB kernel string, and one that clears the screen and forges a line.
    refuses(() => validateHello(withHost({ kernel: str(900_000) })), 'hello.host.kernel is longer than 256 bytes');
    for (const k of ['os', 'kernel', 'cpu_model']) refuses(() => validateHello(withHost({ [k]: str(257) })), `hello.host.${k} is longer than 256 bytes`);
    refuses(() => validateHello(withHost({ arch: str(33) })), 'hello.host.arch is longer than 32 bytes');
    refuses(
      () => validateHello(withHost({ kernel: '6.1\u001b[2J\u001b]0;owned\u0007\nall guests: equivalent' })),
      'hello.host.kernel contains a control, format or bidi character',
    );
    refuses(() => validateHello(withHost({ cpu_model: 'Intel\u202e' })), 'hello.host.cpu_model contains a control, format or bidi character');
    expect(validateHello(withHost({ cpus: 65_536, memory_bytes: String(2 ** 52) }))).toBeTruthy();
    refuses(() => validateHello(withHost({ cpus: 65_537 })), "hello.host.cpus must be a whole number from 0 to 65536, not '65537'");
    refuses(() => validateHello(withHost({ memory_bytes: String(2 ** 52 + 1) })), `hello.host.memory_bytes must be a whole number from 0 to ${2 ** 52}`);
  });

  it('cpuid signatures: at most 16, each 1..64 printable bytes', () => {
    expect(validateHello(hello({}, { cpuid_signatures: Array.from({ length: 16 }, () => 'KVMKVMKVM') }))).toBeTruthy();
    refuses(
      () => validateHello(hello({}, { cpuid_signatures: Array.from({ length: 17 }, () => 'K') })),
      'hello.environment.cpuid_signatures has more than 16 entries',
    );
    refuses(() => validateHello(hello({}, { cpuid_signatures: [str(65)] })), 'hello.environment.cpuid_signatures[0] is longer than 64 bytes');
    refuses(
      () => validateHello(hello({}, { cpuid_signatures: ['KVM\u0000'] })),
      'hello.environment.cpuid_signatures[0] contains a control, format or bidi character',
    );
  });

  it("clock_ns: 0 (not sent) or a time InfluxDB can store; the agent's offset from the collector's clock", () => {
    expect(validateHello(hello({ clock_ns: '0' }))).toBeTruthy();
    refuses(
      () => validateHello(hello({ clock_ns: '9223372036854775807' })),
      'hello.clock_ns 9223372036854775807 is outside what InfluxDB can store (1970 .. 2262)',
    );
    expect(agentClockOffsetSeconds(hello({ clock_ns: '0' }), NOW_MS)).toBeUndefined();
    expect(agentClockOffsetSeconds(hello({ clock_ns: String(NOW - 40n * DAY_NS) }), NOW_MS)).toBe(-40 * 86_400);
    expect(agentClockOffsetSeconds(hello({ clock_ns: String(NOW + 3n * DAY_NS) }), NOW_MS)).toBe(3 * 86_400);
  });
});

describe('validateResult', () => {
  it('resolution: a step sysbench can print (1e-11 .. 2^20) per field the result has (issue 13); absent from older agents', () => {
    expect(validateResult(result({ resolution: { events_per_sec: 0.01 } })).resolution).toEqual({ events_per_sec: 0.01 });
    expect(validateResult(result({ fields: { events_per_sec: 1e-11 }, resolution: { events_per_sec: 1e-11 } }))).toBeTruthy();
    expect(validateResult(result({ fields: { transferred_mib: 2 ** 20 }, resolution: { transferred_mib: 2 ** 20 } }))).toBeTruthy();
    refuses(() => validateResult(result({ resolution: { latency_avg_ms: 0.01 } })), "result.resolution: 'latency_avg_ms' is not a field of the result");
    for (const bad of [0, Number.NaN, 5e-324, 9.9e-12, 2 ** 20 + 1, -0.01])
      refuses(
        () => validateResult(result({ resolution: { events_per_sec: bad } })),
        'result.resolution.events_per_sec must be a step sysbench can print, 1e-11 .. 1048576',
      );
    // A non-zero value finer than its own step cannot have been printed at that step.
    refuses(
      () => validateResult(result({ fields: { events_per_sec: 0.004 }, resolution: { events_per_sec: 0.01 } })),
      'result: field events_per_sec = 0.004 is below its own printing step 0.01',
    );
    expect(validateResult(result({ fields: { events_per_sec: 0 }, resolution: { events_per_sec: 0.01 } }))).toBeTruthy();
  });
  it('noise: known signals within their ranges, a bounded reason (issue 22 item 6); absent from older agents', () => {
    const ok = { steal_pct: 100, contention_pct: 0, procs_running: 0, load1: 1e6, cpu_mhz: 2096.037, agent_cpu_pct: 1e5 };
    expect(validateResult(result({ noise: ok, disturbed: 'steal 100.0 % of CPU time (> 5 %)' })).noise).toEqual(ok);
    expect(validateResult(result({ noise: {}, disturbed: '' })).noise).toEqual({});
    refuses(() => validateResult(result({ noise: { steal_pct: 100.01 } })), 'result.noise: steal_pct = 100.01 is out of range 0 .. 100');
    refuses(() => validateResult(result({ noise: { contention_pct: -0.1 } })), 'result.noise: contention_pct = -0.1 is out of range 0 .. 100');
    refuses(() => validateResult(result({ noise: { load1: Number.NaN } })), 'result.noise: load1 is not a finite number');
    refuses(() => validateResult(result({ noise: { events_per_sec: 1 } })), "result.noise: 'events_per_sec' is not a noise signal");
    refuses(() => validateResult(result({ disturbed: str(257) })), 'result.disturbed is longer than 256 bytes');
    refuses(() => validateResult(result({ disturbed: 'a\nb' })), 'result.disturbed contains a control, format or bidi character');
  });
  it('accepts a good result and returns it', () => {
    const r = result();
    expect(validateResult(r)).toBe(r);
  });

  it('id and run_id: non-empty, at most 256 bytes; profile and sysbench_version: non-empty, at most 64', () => {
    for (const [k, max] of [
      ['id', 256],
      ['run_id', 256],
      ['profile', 64],
      ['sysbench_version', 64],
    ] as const) {
      expect(validateResult(result({ [k]: str(max) }))[k]).toBe(str(max));
      refuses(() => validateResult(result({ [k]: str(max + 1) })), `result.${k} is longer than ${max} bytes`);
      refuses(() => validateResult(result({ [k]: '' })), `result.${k} is empty`);
    }
  });

  // Issue 16: a wrong agent clock is not the result's fault. Any timestamp InfluxDB can store
  // (1 .. 9 223 372 036 854 775 806 ns) is accepted; clockSkewSeconds flags the implausible ones.
  it('timestamp: decimal nanoseconds, 1..19 digits, within what InfluxDB can store', () => {
    expect(validateResult(result({ timestamp_ns: String(Y2000_NS - 1n) })).timestamp_ns).toBe('946684799999999999');
    expect(validateResult(result({ timestamp_ns: String(NOW + DAY_NS + 1n) })).timestamp_ns).toBe('1750086400000000001');
    expect(validateResult(result({ timestamp_ns: '1' })).timestamp_ns).toBe('1');
    expect(validateResult(result({ timestamp_ns: '9223372036854775806' })).timestamp_ns).toBe('9223372036854775806');
    refuses(() => validateResult(result({ timestamp_ns: '0' })), 'result.timestamp_ns 0 is outside what InfluxDB can store (1970 .. 2262)');
    refuses(
      () => validateResult(result({ timestamp_ns: '9223372036854775807' })),
      'result.timestamp_ns 9223372036854775807 is outside what InfluxDB can store (1970 .. 2262)',
    );
    for (const bad of ['', '-1', '1.5', '1e18', ' 1750000000000000000', '17500000000000000000' /* 20 digits */]) {
      refuses(() => validateResult(result({ timestamp_ns: bad })), 'result.timestamp_ns must be nanoseconds since the epoch');
    }
  });

  it("clockSkewSeconds: the agent's offset when its clock is off by more than an hour; else undefined from 2000-01-01 to now + 1 day inclusive, else seconds from now (+ ahead)", () => {
    // A clock 40 days behind (a restored snapshot): every record flagged, however plausible its own time.
    expect(clockSkewSeconds(NOW_NS, NOW_MS, -40 * 86_400)).toBe(-40 * 86_400);
    expect(clockSkewSeconds(NOW_NS, NOW_MS, 3601)).toBe(3601);
    expect(clockSkewSeconds(NOW_NS, NOW_MS, -3600)).toBeUndefined();
    expect(clockSkewSeconds(String(NOW + 2n * DAY_NS), NOW_MS, 0)).toBe(2 * 86_400);
    expect(clockSkewSeconds(String(Y2000_NS), NOW_MS)).toBeUndefined();
    expect(clockSkewSeconds(String(NOW + DAY_NS), NOW_MS)).toBeUndefined();
    expect(clockSkewSeconds(String(NOW + DAY_NS + 1_000_000_000n), NOW_MS)).toBe(86_401);
    // 1999-12-31T23:59:59Z is 1 750 000 000 - 946 684 799 = 803 315 201 s before NOW.
    expect(clockSkewSeconds(String(Y2000_NS - 1_000_000_000n), NOW_MS)).toBe(-803_315_201);
  });

  it('test must be one of the five sysbench tests', () => {
    for (const t of ['cpu', 'threads', 'fileio', 'memory', 'mutex']) expect(validateResult(result({ test: t })).test).toBe(t);
    refuses(() => validateResult(result({ test: 'oltp' })), "result.test 'oltp' is not one of cpu, threads, fileio, memory, mutex");
    refuses(() => validateResult(result({ test: 'CPU' })), "result.test 'CPU' is not one of cpu, threads, fileio, memory, mutex");
  });

  it('trial 1..1000 and threads 1..100 000, whole numbers', () => {
    expect(validateResult(result({ trial: 1000, threads: 100_000 }))).toBeTruthy();
    refuses(() => validateResult(result({ trial: 0 })), "result.trial must be a whole number from 1 to 1000, not '0'");
    refuses(() => validateResult(result({ trial: 1001 })), "result.trial must be a whole number from 1 to 1000, not '1001'");
    refuses(() => validateResult(result({ trial: 1.5 })), "result.trial must be a whole number from 1 to 1000, not '1.5'");
    refuses(() => validateResult(result({ threads: 0 })), "result.threads must be a whole number from 1 to 100000, not '0'");
    refuses(() => validateResult(result({ threads: 100_001 })), "result.threads must be a whole number from 1 to 100000, not '100001'");
  });

  it("fields: known names only, finite, from 0 to each metric's physical maximum; non-zero values no finer than 1e-11", () => {
    expect(validateResult(result({ fields: { events_per_sec: 0, total_events: 1e15 } }))).toBeTruthy();
    // Each metric at its maximum, and just past it (written out here, not read from the table).
    for (const [name, max, unit] of [
      ['events_per_sec', 1e11, 'events/s'],
      ['read_mib_per_sec', 1e8, 'MiB/s'],
      ['total_time_s', 1e7, 's'],
      ['latency_avg_ms', 1e10, 'ms'],
      ['latency_pct', 100, 'percentile'],
      ['total_events', 1e15, 'events'],
    ] as const) {
      expect(validateResult(result({ fields: { [name]: max } }))).toBeTruthy();
      refuses(() => validateResult(result({ fields: { [name]: max * 1.5 } })), `result: field ${name} = ${max * 1.5} is out of range 0 .. ${max} ${unit}`);
    }
    // The attack: 1e-322 events/s made every ratio underflow to 0.
    refuses(
      () => validateResult(result({ fields: { events_per_sec: 1e-322 }, resolution: { events_per_sec: 5e-324 } })),
      'result: field events_per_sec = 1e-322 is finer than sysbench prints (non-zero values start at 1e-11)',
    );
    expect(validateResult(result({ fields: { events_per_sec: 1e-11 } }))).toBeTruthy();
    refuses(() => validateResult(result({ fields: { elapsed_s: 1 } })), "result: unknown field 'elapsed_s'"); // an interval field
    refuses(() => validateResult(result({ fields: { [`x${str(100)}`]: 1 } })), `result: unknown field 'x${str(63)}…'`);
    refuses(() => validateResult(result({ fields: { events_per_sec: NaN } })), 'result: field events_per_sec is not a finite number');
    refuses(() => validateResult(result({ fields: { events_per_sec: Infinity } })), 'result: field events_per_sec is not a finite number');
    refuses(() => validateResult(result({ fields: { events_per_sec: '5' as unknown as number } })), 'result: field events_per_sec is not a finite number');
    refuses(
      () => validateResult(result({ fields: { events_per_sec: -0.001 } })),
      'result: field events_per_sec = -0.001 is out of range 0 .. 100000000000 events/s',
    );
  });

  it('fields: more names than the 22 known ones is refused before any name is looked at', () => {
    const many = Object.fromEntries(Array.from({ length: 23 }, (_, i) => [`f${i}`, 1]));
    refuses(() => validateResult(result({ fields: many })), 'result: too many fields');
  });

  it("errors: up to 20 lines of up to 3000 bytes (the agent's 1000 UTF-16 units), any characters (replaced when stored)", () => {
    expect(validateResult(result({ ok: false, errors: Array.from({ length: 20 }, () => str(1000, 'é')) }))).toBeTruthy();
    expect(validateResult(result({ ok: false, errors: ['FATAL: \u001b[31mred\u202e'] }))).toBeTruthy();
    refuses(() => validateResult(result({ errors: Array.from({ length: 21 }, () => 'e') })), 'result.errors has more than 20 entries');
    refuses(() => validateResult(result({ errors: [str(3001)] })), 'result.errors[0] is longer than 3000 bytes');
    refuses(() => validateResult(result({ errors: ['', 7 as unknown as string] })), 'result.errors[1] must be a string');
  });

  it('an ok result needs fields; a failed one may have none', () => {
    refuses(() => validateResult(result({ ok: true, fields: {} })), 'result says ok but has no fields');
    expect(validateResult(result({ ok: false, fields: {} }))).toBeTruthy();
  });
});

describe('validateSample', () => {
  it('accepts a good sample and returns it', () => {
    const s = sample();
    expect(validateSample(s)).toBe(s);
  });

  it('shares the run-record rules, named "sample"', () => {
    refuses(() => validateSample(sample({ id: '' })), 'sample.id is empty');
    refuses(() => validateSample(sample({ timestamp_ns: '0' })), /^sample\.timestamp_ns .* is outside/);
    refuses(() => validateSample(sample({ test: 'x' })), "sample.test 'x' is not one of cpu, threads, fileio, memory, mutex");
    refuses(() => validateSample(sample({ trial: 0 })), "sample.trial must be a whole number from 1 to 1000, not '0'");
    refuses(() => validateSample(sample({ profile: 'p\u009b' })), 'sample.profile contains a control, format or bidi character');
    refuses(() => validateSample(sample({ fields: { elapsed_s: 1, threads: 100_001 } })), 'sample: field threads = 100001 is out of range 0 .. 100000 threads');
    refuses(() => validateSample(sample({ fields: { elapsed_s: 1, latency_avg_ms: 2 } })), "sample: unknown field 'latency_avg_ms'"); // a result-only field
  });

  it('must carry elapsed_s; at most the 15 interval fields', () => {
    refuses(() => validateSample(sample({ fields: { events_per_sec: 5 } })), 'sample has no elapsed_s');
    const many = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}`, 1]));
    refuses(() => validateSample(sample({ fields: many })), 'sample: too many fields');
  });
});

describe('validateStatus', () => {
  it('accepts a good status and returns it', () => {
    const s = status({ state: 'replaying', spooled: str(15, '9') });
    expect(validateStatus(s)).toBe(s);
    expect(validateStatus(status({ state: 'running' })).state).toBe('running');
  });

  it('id and timestamp as for records', () => {
    refuses(() => validateStatus(status({ id: str(257) })), 'status.id is longer than 256 bytes');
    refuses(() => validateStatus(status({ timestamp_ns: 'now' })), 'status.timestamp_ns must be nanoseconds since the epoch');
  });

  it('state is idle, running or replaying', () => {
    refuses(() => validateStatus(status({ state: 'sleeping' })), "status.state 'sleeping' is not one of idle, running, replaying");
  });

  it('counters are whole numbers of 1..15 digits', () => {
    for (const k of ['spooled', 'dropped', 'corrupt', 'rejected'] as const) {
      refuses(() => validateStatus(status({ [k]: str(16, '9') })), `status.${k} must be a whole number from 0 to 999999999999999`);
      refuses(() => validateStatus(status({ [k]: '-1' })), `status.${k} must be a whole number from 0 to 999999999999999`);
      refuses(() => validateStatus(status({ [k]: '' })), `status.${k} must be a whole number from 0 to 999999999999999`);
    }
  });
});

// Validation skips a text field equal to the last string accepted in the same field (issue 26):
// the same string is still checked in any other field, and a field's first value always is.
describe('the last accepted string of a field', () => {
  it('is not taken as valid for another field with a tighter bound', () => {
    expect(() => validateResult(result({ run_id: str(100) }))).not.toThrow(); // ids: 256 bytes
    refuses(() => validateResult(result({ profile: str(100) })), 'result.profile is longer than 64 bytes');
  });

  it('does not let a changed value through, and accepts the same value again', () => {
    expect(() => validateSample(sample({ profile: 'p1' }))).not.toThrow();
    refuses(() => validateSample(sample({ profile: 'p1\u0007' })), 'sample.profile contains a control, format or bidi character');
    expect(() => validateSample(sample({ profile: 'p1' }))).not.toThrow();
  });

  it('is no string before the first: a missing field of the first record is refused', async () => {
    vi.resetModules();
    const fresh = await import('./validate.js');
    let caught: unknown;
    try {
      fresh.validateSample(sample({ sysbench_version: undefined as unknown as string }));
    } catch (err) {
      caught = err;
    }
    expect((caught as Error)?.message).toBe('sample.sysbench_version must be a string');
  });
});
