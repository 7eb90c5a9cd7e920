// The report's nested-stack section: each chain root → L1 → L2 with every layer's cost (its
// `overhead_chain` point against its parent) and the whole stack's (against the root), the
// check that the layers multiply to the whole stack, the chain problems, and where the
// declared nesting or what detection saw disagrees with the parent relation.
import type { InfluxDB } from 'influx';
import { resolveChains, type ChainAgent, type ChainProblem } from '../../overhead/chain/resolve.js';
import { withGroupsOfMissingParents } from '../../overhead/chain/agents.js';
import { eq } from '../../../schema/influxql.js';
import { KEY_METRICS } from '../../../schema/metrics.js';
import type { TestName } from '../../../schema/test-types.js';

export interface LayerCost {
  ratio: number;
  overheadPct: number;
  lowPct: number | null;
  highPct: number | null;
}

export interface ChainLayer {
  agent: string;
  depth: number;
  virt: string;
  seenDepth: number | null;
  declaredNesting: string | null;
  /** Per test (its headline metric): this layer against its parent, and the whole stack against the root. */
  costs: Array<{
    test: string;
    metric: string;
    layer: LayerCost | null;
    whole: LayerCost | null;
    layersRatio: number | null;
    layersLow: number | null;
    layersHigh: number | null;
    agree: boolean | null;
  }>;
}

export interface ChainReport {
  group: string;
  /** One entry per chain from its root to a top agent (root first). */
  chains: ChainLayer[][];
  problems: ChainProblem[];
  /** Declared nesting / detection against the parent relation. */
  notes: string[];
}

type Row = Record<string, unknown> & { time: { getNanoTime(): string } };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `L2`, `L2 inside VMware` → 2; anything else → null (free text, not compared). */
export function declaredDepth(nesting: string | null): number | null {
  const m = nesting ? /^L(\d+)\b/i.exec(nesting.trim()) : null;
  return m ? Number(m[1]) : null;
}

/** Where the declared nesting or detection disagrees with the chain's depth. */
export function nestingNotes(
  layer: { agent: string; depth: number; virt: string; seenDepth: number | null; declaredNesting: string | null },
  path: string,
): string[] {
  const notes: string[] = [];
  const declared = declaredDepth(layer.declaredNesting);
  if (declared !== null && declared !== layer.depth)
    notes.push(`'${layer.agent}' declares nesting=${layer.declaredNesting} but its parents put it at L${layer.depth} (${path})`);
  if (layer.depth >= 1 && layer.seenDepth === 0)
    notes.push(`'${layer.agent}' names a parent (L${layer.depth} of ${path}) but detection inside it sees no virtualization (virt=${layer.virt})`);
  if (layer.depth === 0 && layer.seenDepth !== null && layer.seenDepth >= 1)
    notes.push(`the root '${layer.agent}' is itself virtualized (virt=${layer.virt}): its whole-stack figures are against it, not against bare metal`);
  return notes;
}

export async function buildChainReport(o: { influx: InfluxDB; database: string; since: Date; group?: string }): Promise<ChainReport[]> {
  const where = [`time >= ${BigInt(o.since.getTime()) * 1_000_000n}`, ...(o.group !== undefined ? [eq('group', o.group)] : [])].join(' AND ');
  const facts = [
    ...((await o.influx.query(
      `SELECT "run_id", "parent_agent", "declared_nesting", "seen_depth", "agent", "group", "role", "virt" FROM "sysbench" WHERE ${where}`,
      { database: o.database },
    )) as unknown as Row[]),
  ];
  const points = [...((await o.influx.query(`SELECT * FROM "overhead_chain" WHERE ${where}`, { database: o.database })) as unknown as Row[])];
  const latest = new Map<string, Row>();
  for (const r of facts) {
    const k = `${String(r.group)}\0${String(r.agent)}`;
    const prev = latest.get(k);
    if (!prev || BigInt(r.time.getNanoTime()) > BigInt(prev.time.getNanoTime())) latest.set(k, r);
  }
  const agents: ChainAgent[] = [...latest.values()].map((r) => ({
    agent: String(r.agent),
    group: String(r.group),
    role: String(r.role),
    parent: text(r.parent_agent),
  }));
  const groups = [...new Set(agents.filter((a) => a.parent).map((a) => a.group))].sort();
  const out: ChainReport[] = [];
  for (const group of groups) {
    const { links, problems } = resolveChains(await withGroupsOfMissingParents(o.influx, o.database, agents, group), group);
    const factOf = (agent: string) => latest.get(`${group}\0${agent}`)!;
    const costsOf = (agent: string): ChainLayer['costs'] => {
      const mine = points.filter((p) => p.group === group && p.agent === agent);
      const tests = [...new Set(mine.map((p) => String(p.test)))].sort();
      return tests.flatMap((test) => {
        const metric = (KEY_METRICS[test as TestName] ?? []).find((m) => mine.some((p) => p.test === test && p.metric === m));
        if (!metric) return [];
        const pick = (against: string) =>
          mine
            .filter((p) => p.test === test && p.metric === metric && p.against === against)
            .sort((a, b) => (BigInt(a.time.getNanoTime()) < BigInt(b.time.getNanoTime()) ? -1 : 1))
            .pop();
        const cost = (p: Row | undefined): LayerCost | null =>
          p ? { ratio: num(p.ratio)!, overheadPct: num(p.overhead_pct)!, lowPct: num(p.ci_low_pct), highPct: num(p.ci_high_pct) } : null;
        const root = pick('root');
        return [
          {
            test,
            metric,
            layer: cost(pick('parent')),
            whole: cost(root),
            layersRatio: num(root?.layers_ratio),
            layersLow: num(root?.layers_ratio_low),
            layersHigh: num(root?.layers_ratio_high),
            agree: typeof root?.layers_agree === 'boolean' ? root.layers_agree : null,
          },
        ];
      });
    };
    // Chains: from each agent that is nobody's parent, down to its root.
    const parents = new Set([...links.values()].map((l) => l.parent).filter(Boolean));
    const chains: ChainLayer[][] = [];
    const notes: string[] = [];
    for (const link of [...links.values()].sort((a, b) => (a.agent < b.agent ? -1 : 1))) {
      if (!link.path || link.path.length < 2 || parents.has(link.agent)) continue;
      const pathText = link.path.join(' > ');
      const chain = link.path.map((agent, depth) => {
        const f = factOf(agent);
        const layer: ChainLayer = {
          agent,
          depth,
          virt: String(f.virt),
          seenDepth: num(f.seen_depth),
          declaredNesting: text(f.declared_nesting),
          costs: depth === 0 ? [] : costsOf(agent),
        };
        for (const n of nestingNotes(layer, pathText)) if (!notes.includes(n)) notes.push(n);
        return layer;
      });
      chains.push(chain);
    }
    out.push({ group, chains, problems, notes });
  }
  return out;
}
