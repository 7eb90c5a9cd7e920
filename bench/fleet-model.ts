// The simulated fleet of the fleet benchmark (issue 26): groups of guests with their native
// baseline, a few nested stacks, and what each agent sends per 6-hourly run — real-shaped wire
// messages (a real sysbench cpu output from test/fixtures parsed by the agent's own parser,
// scaled and printed at its resolution), a heartbeat, and interval samples for recent runs.
// Noise is hierarchical and drawn from recorded runs (bench/data/cpu-trials.json): a run factor
// (run-to-run spread) times a trial factor, on top of each guest's overhead, its slow drift and
// the shifts the change detector should find. Deterministic: the same spec gives the same year.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';
import { mulberry32 } from '../lib/stats/random.js';
import { parseSysbenchOutput } from '../agent/sysbench/parser/index.js';
import { PROTOCOL_VERSION, type AgentMessage, type Hello, type IntervalSample, type Result } from '../proto/index.js';

export interface FleetSpec {
  groups: number;
  guestsPerGroup: number;
  /** Nested stacks (native → L1 → L2) in a group of their own. */
  stacks: number;
  days: number;
  trials: number;
  /** Runs of the last this many days also send interval samples (inside the samples policy's 30 days). */
  samplesDays: number;
  samplesPerRun: number;
  /** The newest run starts here (ms); the first `days` earlier. */
  endMs: number;
}

export const RUN_MS = 6 * 3_600_000;
/** Seconds between a run's trials (a 10 s sysbench run and its start-up). */
const TRIAL_GAP_MS = 12_000;

export interface FleetAgent {
  id: string;
  group: string;
  role: 'baseline' | 'guest';
  variant: string;
  parent: string;
  /** Relative speed against native (1 for a baseline) before drift and shifts. */
  speed: number;
  /** Runs from which the guest is slower (+) or faster (−) by sizePct. */
  shifts: Array<{ at: number; sizePct: number }>;
  /** Start offset of its runs within the tick (the scheduler's jitter), ms. */
  jitterMs: number;
  seed: number;
}

export function fleetRuns(spec: FleetSpec): number {
  return Math.round((spec.days * 86_400_000) / RUN_MS);
}

/** When run `i` of every agent is due (its tick); the agent starts within ±10 min of it. */
export function tickMs(spec: FleetSpec, i: number): number {
  return spec.endMs - (fleetRuns(spec) - 1 - i) * RUN_MS;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Every agent of the fleet, baselines first in each group. */
export function fleetAgents(spec: FleetSpec): FleetAgent[] {
  const r = mulberry32(26_000);
  const out: FleetAgent[] = [];
  const runs = fleetRuns(spec);
  const jitter = () => Math.round((r() - 0.5) * 1_200_000);
  for (let g = 0; g < spec.groups; g++) {
    const group = `fleet-${pad(g, 2)}`;
    out.push({ id: `${group}-native`, group, role: 'baseline', variant: 'stock', parent: '', speed: 1, shifts: [], jitterMs: jitter(), seed: out.length });
    for (let k = 0; k < spec.guestsPerGroup; k++) {
      const shifts: FleetAgent['shifts'] = [];
      // A third of the guests change once in the year, by 5–20 % either way.
      if (r() < 1 / 3 && runs > 40) shifts.push({ at: 20 + Math.floor(r() * (runs - 40)), sizePct: (5 + Math.floor(r() * 16)) * (r() < 0.5 ? 1 : -1) });
      out.push({
        id: `${group}-vm${pad(k, 3)}`,
        group,
        role: 'guest',
        variant: k % 10 === 9 ? 'patched' : 'stock',
        parent: '',
        speed: 0.7 + r() * 0.3,
        shifts,
        jitterMs: jitter(),
        seed: out.length,
      });
    }
  }
  if (spec.stacks > 0) {
    const group = 'fleet-nested';
    out.push({ id: 'nested-native', group, role: 'baseline', variant: 'stock', parent: '', speed: 1, shifts: [], jitterMs: jitter(), seed: out.length });
    for (let s = 0; s < spec.stacks; s++) {
      const l1 = `nested-s${s}-l1`;
      out.push({ id: l1, group, role: 'guest', variant: 'stock', parent: 'nested-native', speed: 0.9, shifts: [], jitterMs: jitter(), seed: out.length });
      out.push({ id: `nested-s${s}-l2`, group, role: 'guest', variant: 'stock', parent: l1, speed: 0.6, shifts: [], jitterMs: jitter(), seed: out.length });
    }
  }
  return out;
}

export function fleetHello(a: FleetAgent): Hello {
  const guest = a.role === 'guest';
  return {
    protocol_version: PROTOCOL_VERSION,
    agent_id: a.id,
    hostname: a.id,
    group: a.group,
    role: a.role,
    variant: a.variant,
    parent_agent: a.parent,
    host: {
      os: 'linux',
      kernel: '6.1.0-26-amd64',
      arch: 'x64',
      cpu_model: 'AMD EPYC (simulated)',
      cpus: guest ? 2 : 32,
      memory_bytes: String(guest ? 4 * 2 ** 30 : 128 * 2 ** 30),
    },
    environment: {
      virt: guest ? 'kvm' : 'none',
      container: 'none',
      kvm: guest ? 'absent' : 'usable',
      cpuid_signatures: guest ? ['KVMKVMKVM'] : [],
      detection_json: JSON.stringify({ nested: { min_depth: guest ? 1 : 0 } }),
      declared: a.parent.includes('-l1') ? { nesting: 'L2' } : {},
    },
    agent_version: '0.1.0',
    sysbench_version: '1.0.20',
  };
}

/** The recorded cpu run every simulated trial is scaled from, with the step each field was printed at. */
interface Template {
  fields: Record<string, number>;
  resolution: Record<string, number>;
}

let template: Template | undefined;
function cpuTemplate(): Template {
  if (!template) {
    const text = readFileSync(join(packageRoot(), 'test', 'fixtures', 'sysbench', '1.0.20-cpu.txt'), 'utf8');
    const inv = parseSysbenchOutput(text).find((i) => i.ok && i.test === 'cpu');
    if (!inv) throw new Error('fleet model: test/fixtures/sysbench/1.0.20-cpu.txt no longer parses as a cpu run');
    template = { fields: inv.fields as Record<string, number>, resolution: (inv.resolution ?? {}) as Record<string, number> };
  }
  return template;
}

const atStep = (v: number, step: number | undefined) => (step && step > 0 ? Math.round(v / step) * step : v);

/** A sysbench cpu trial of `seconds` at relative speed `s` (1 = the recorded run), printed at the recorded resolution. */
function cpuFields(s: number, seconds: number): Record<string, number> {
  const { fields: f, resolution: res } = cpuTemplate();
  const eps = f.events_per_sec! * s;
  const time = seconds + (f.total_time_s! - Math.round(f.total_time_s!));
  const events = Math.round(eps * time);
  const lat = (k: string) => (f[k]! * 1) / s;
  const raw: Record<string, number> = {
    events_per_sec: eps,
    total_time_s: time,
    total_events: events,
    latency_min_ms: lat('latency_min_ms'),
    latency_avg_ms: lat('latency_avg_ms'),
    latency_max_ms: lat('latency_max_ms'),
    latency_pct: f.latency_pct!,
    latency_pct_ms: lat('latency_pct_ms'),
    latency_sum_ms: time * 1000 * (f.latency_sum_ms! / (f.total_time_s! * 1000)),
    fairness_events_avg: events,
    fairness_events_stddev: 0,
    fairness_exec_time_avg: time * (f.fairness_exec_time_avg! / f.total_time_s!),
    fairness_exec_time_stddev: 0,
  };
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = Number(atStep(v, res[k]).toPrecision(12));
  return out;
}

/**
 * Recorded cpu events/s (bench/data/cpu-trials.json) as factors around 1, their spread scaled
 * by `scale` (it was bench/changes.bench.ts's; the change bench now draws from a fitted model).
 */
function loadNoise(scale: number): number[] {
  const rec = JSON.parse(readFileSync(join(packageRoot(), 'bench', 'data', 'cpu-trials.json'), 'utf8')) as { events_per_sec: number[] };
  const v = [...rec.events_per_sec].sort((a, b) => a - b);
  const med = v[Math.floor(v.length / 2)]!;
  return rec.events_per_sec.map((x) => 1 + (x / med - 1) * scale);
}

const noiseCache = new Map<number, number[]>();
/** Recorded relative noise at a scale (busy host 1.0; a tenth of it is a fairly quiet one). */
function noise(scale: number): number[] {
  let n = noiseCache.get(scale);
  if (!n) noiseCache.set(scale, (n = loadNoise(scale)));
  return n;
}

/** The agent's speed at run i: its own, its drift over the year, the shifts so far. */
export function speedAt(a: FleetAgent, i: number, runs: number): number {
  let s = a.speed * (1 + (((a.seed % 7) - 3) / 300) * (i / runs)); // up to ±1 % drift over the year
  for (const sh of a.shifts) if (i >= sh.at) s /= 1 + sh.sizePct / 100;
  return s;
}

/** Everything agent `a` sends for run `i`: its results (trial by trial), a heartbeat, and samples when recent. */
export function runMessages(spec: FleetSpec, a: FleetAgent, i: number): AgentMessage[] {
  const runs = fleetRuns(spec);
  const r = mulberry32(a.seed * 1_000_003 + i);
  const runNoise = noise(0.1);
  const trialNoise = noise(0.05);
  const draw = (xs: number[]) => xs[Math.floor(r() * xs.length)]!;
  const start = tickMs(spec, i) + a.jitterMs;
  const runId = `r${pad(i, 5)}`;
  const runFactor = draw(runNoise);
  const base = speedAt(a, i, runs) * runFactor;
  const ns = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();
  const out: AgentMessage[] = [];
  const withSamples = start >= spec.endMs - spec.samplesDays * 86_400_000;
  for (let t = 1; t <= spec.trials; t++) {
    const at = start + (t - 1) * TRIAL_GAP_MS;
    const s = base * draw(trialNoise);
    if (withSamples && t === 1)
      for (let k = 1; k <= spec.samplesPerRun; k++) {
        const eps = cpuTemplate().fields.events_per_sec! * s * draw(trialNoise);
        const sample: IntervalSample = {
          id: `${a.id}:${runId}:cpu:1:i${k}`,
          timestamp_ns: ns(at + k * 1000),
          run_id: runId,
          test: 'cpu',
          profile: 'seed',
          trial: 1,
          fields: {
            elapsed_s: k,
            threads: 1,
            events_per_sec: Math.round(eps * 100) / 100,
            latency_pct: 95,
            latency_pct_ms: Math.round((1000 / eps) * 1.3 * 100) / 100,
          },
          sysbench_version: '1.0.20',
        };
        out.push({ sample });
      }
    const result: Result = {
      id: `${a.id}:${runId}:cpu:${t}`,
      timestamp_ns: ns(at + 10_000),
      run_id: runId,
      test: 'cpu',
      profile: 'seed',
      trial: t,
      threads: 1,
      ok: true,
      fields: cpuFields(s, 10),
      resolution: cpuTemplate().resolution,
      errors: [],
      sysbench_version: '1.0.20',
    };
    out.push({ result });
  }
  out.push({
    status: {
      id: `${a.id}:${runId}:status`,
      timestamp_ns: ns(start + spec.trials * TRIAL_GAP_MS + 1000),
      spooled: '0',
      dropped: '0',
      corrupt: '0',
      rejected: '0',
      last_run_ok: true,
      state: 'idle',
    },
  });
  return out;
}
