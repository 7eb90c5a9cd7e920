// The report's nested-stack section: each chain root → L1 → L2 with every layer's cost (its
// `overhead_chain` point against its parent) and the whole stack's (against the root), the
// check that the layers multiply to the whole stack, the chain problems, and where the
// declared nesting or what detection saw disagrees with the parent relation.
import { resolveChains, type ChainAgent, type ChainProblem } from '../../overhead/chain/resolve.js';
import { withGroupsOfMissingParents } from '../../overhead/chain/agents.js';
import type { Row, Store } from '../../store/store.js';
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

/** An overhead_chain point, tags and fields side by side. */
type ChainPointRow = Record<string, unknown> & { timeNs: bigint };

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

export async function buildChainReport(o: { store: Store; since: Date; group?: string }): Promise<ChainReport[]> {
  const where = { from: BigInt(o.since.getTime()) * 1_000_000n, ...(o.group !== undefined ? { tags: { group: o.group } } : {}) };
  // Each agent's newest declaration (run_id is in every result, so every result is a row).
  const facts = await o.store.select({
    measurement: 'sysbench',
    fields: ['run_id', 'parent_agent', 'declared_nesting', 'seen_depth'],
    where,
    newest: 1,
    groupBy: ['group', 'agent'],
  });
  // Only each layer's newest point per test, metric and comparison is shown: read those, not the period's.
  const newest = { newest: 1, groupBy: ['group', 'agent', 'test', 'metric', 'against'] };
  const points = (await o.store.select({ measurement: 'overhead_chain', where, ...newest })).map((r): ChainPointRow => ({
    ...r.tags,
    ...r.fields,
    timeNs: r.timeNs,
  }));
  const latest = new Map<string, Row>();
  for (const r of facts) latest.set(`${r.tags.group ?? ''}\0${r.tags.agent ?? ''}`, r);
  const agents: ChainAgent[] = [...latest.values()].map((r) => ({
    agent: r.tags.agent ?? '',
    group: r.tags.group ?? '',
    role: r.tags.role ?? '',
    parent: text(r.fields.parent_agent),
  }));
  const groups = [...new Set(agents.filter((a) => a.parent).map((a) => a.group))].sort();
  const out: ChainReport[] = [];
  for (const group of groups) {
    const { links, problems } = resolveChains(await withGroupsOfMissingParents(o.store, agents, group), group);
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
            .sort((a, b) => (a.timeNs < b.timeNs ? -1 : 1))
            .pop();
        const cost = (p: ChainPointRow | undefined): LayerCost | null =>
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
          virt: String(f.tags.virt),
          seenDepth: num(f.fields.seen_depth),
          declaredNesting: text(f.fields.declared_nesting),
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
