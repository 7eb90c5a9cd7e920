// Test support: writes `sysbench` points shaped as docs/schema.md with InfluxDB line protocol
// (integers as integers, booleans as booleans, like the collector's writer), independent of
// the code under test, and returns what the collector would hand to onResultsWritten.
import type { WrittenResult } from '../../collector/listener.js';

export interface TrialSpec {
  agent: string;
  group: string;
  role: 'baseline' | 'guest';
  virt?: string;
  variant?: string;
  test: string;
  profile?: string;
  runId: string;
  trial: number;
  threads?: number;
  ok?: boolean;
  timeNs: bigint;
  values: Record<string, number>;
  /** parent_agent, declared_nesting, seen_depth (nested stacks) */
  parent?: string;
  declaredNesting?: string;
  seenDepth?: number;
  /** The sysbench_version tag (default 1.0.20): an upgrade starts new series of the same system. */
  sysbenchVersion?: string;
  /** The agent's judgement (docs/noise.md): a reason (disturbed), false (judged, not disturbed), absent (not judged). */
  disturbed?: string | false;
}

function escTag(s: string): string {
  // Line protocol tag values escape only comma, equals and space; a backslash stays as is.
  return s.replace(/([,= ])/g, '\\$1');
}

function escStr(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

export function toWritten(t: TrialSpec): WrittenResult {
  const tags: Record<string, string> = {
    agent: t.agent,
    host: t.agent,
    group: t.group,
    role: t.role,
    virt: t.virt ?? (t.role === 'baseline' ? 'none' : 'kvm'),
    container: 'none',
    kvm: 'absent',
    test: t.test,
    profile: t.profile ?? 'seed',
    variant: t.variant ?? 'default',
    sysbench_version: t.sysbenchVersion ?? '1.0.20',
  };
  const fields: Record<string, number | string | boolean> = {
    run_id: t.runId,
    result_id: `${t.runId}-${t.test}-${t.trial}`,
    trial: t.trial,
    threads: t.threads ?? 1,
    ok: t.ok ?? true,
    ...(t.parent ? { parent_agent: t.parent } : {}),
    ...(t.declaredNesting ? { declared_nesting: t.declaredNesting } : {}),
    ...(t.seenDepth !== undefined ? { seen_depth: t.seenDepth } : {}),
    ...(t.disturbed !== undefined ? { disturbed: t.disturbed !== false, ...(t.disturbed ? { disturbed_reason: t.disturbed } : {}) } : {}),
    ...t.values,
  };
  return { tags, fields, timestamp_ns: t.timeNs.toString() };
}

export function toLine(w: WrittenResult): string {
  const tags = Object.keys(w.tags)
    .sort()
    .map((k) => `${escTag(k)}=${escTag(w.tags[k]!)}`)
    .join(',');
  const ints = new Set(['trial', 'threads']);
  const fields = Object.entries(w.fields)
    .map(([k, v]) => `${escTag(k)}=${typeof v === 'string' ? escStr(v) : typeof v === 'boolean' ? String(v) : ints.has(k) ? `${v}i` : String(v)}`)
    .join(',');
  return `sysbench,${tags} ${fields} ${w.timestamp_ns}`;
}

/** Writes the trials over HTTP /write (nanosecond precision) and returns them as WrittenResult. */
export async function writeTrials(url: string, database: string, trials: TrialSpec[]): Promise<WrittenResult[]> {
  const written = trials.map(toWritten);
  const res = await fetch(`${url}/write?db=${encodeURIComponent(database)}&precision=ns`, { method: 'POST', body: written.map(toLine).join('\n') });
  if (res.status !== 204) throw new Error(`write failed: ${res.status} ${await res.text()}`);
  return written;
}
