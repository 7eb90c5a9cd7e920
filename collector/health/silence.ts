// Silence is an alert (issue 14 item 6): an agent that stopped sending heartbeats
// (`agent_status`) is written as silent into `agent_silence`, which the health dashboard
// colours and an alert rule fires on. InfluxQL cannot subtract a point's time from now(),
// so the collector, which knows the time, computes it: every check, for each agent seen in
// the lookback, seconds since its newest heartbeat. Points are stamped at the check time
// rounded down to the check period, so several collectors overwrite one point, not add.
import { IDENTITY_TAGS } from '../../schema/influx.js';
import type { Store, StorePoint } from '../store/store.js';

export interface SilenceOptions {
  /** An agent is silent after this long without a heartbeat. */
  silentAfterMs: number;
  /** Agents seen within this period are checked (default 30 days): older ones are retired, not silent. */
  lookbackMs?: number;
  /** Stamps are rounded down to this (the check period). */
  periodMs: number;
}

export interface AgentSilence {
  tags: Record<string, string>;
  silentS: number;
  silent: boolean;
}

/** Seconds since each agent's newest heartbeat, and whether that is past the limit. */
export async function agentSilences(store: Store, nowMs: number, opts: SilenceOptions): Promise<AgentSilence[]> {
  const lookbackMs = opts.lookbackMs ?? 30 * 86_400_000;
  const beats = await store.select({
    measurement: 'agent_status',
    fields: ['spooled'],
    where: { after: BigInt(Math.round(nowMs - lookbackMs)) * 1_000_000n },
    newest: 1,
    groupBy: IDENTITY_TAGS,
  });
  // One row per identity-tag set; an agent that changed tags (a new variant) keeps its newest set.
  const newest = new Map<string, { tags: Record<string, string>; lastMs: number }>();
  for (const b of beats) {
    const lastMs = Number(b.timeNs / 1_000_000n);
    const tags = Object.fromEntries(IDENTITY_TAGS.map((t) => [t, b.tags[t] ?? '']));
    const key = JSON.stringify([tags.group, tags.agent]);
    const prev = newest.get(key);
    if (!prev || lastMs > prev.lastMs) newest.set(key, { tags, lastMs });
  }
  return [...newest.values()].map(({ tags, lastMs }) => {
    const silentS = Math.max(0, (nowMs - lastMs) / 1000);
    return { tags, silentS, silent: silentS * 1000 > opts.silentAfterMs };
  });
}

/** Computes and writes `agent_silence` for every agent; returns what it wrote. */
export async function checkSilence(store: Store, nowMs: number, opts: SilenceOptions): Promise<AgentSilence[]> {
  const all = await agentSilences(store, nowMs, opts);
  const stamp = BigInt(Math.floor(nowMs / opts.periodMs) * opts.periodMs) * 1_000_000n;
  const points: StorePoint[] = all.map((s) => ({
    measurement: 'agent_silence',
    tags: s.tags,
    fields: { silent_s: s.silentS, silent: s.silent ? 1 : 0, limit_s: opts.silentAfterMs / 1000 },
    timestamp: stamp.toString(),
  }));
  // agent_silence is short-lived, like samples: the store writes it into its retention policy.
  if (points.length > 0) await store.write(points);
  return all;
}
