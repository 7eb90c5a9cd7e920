// What each system of a report is (issue 25 item 1): its agent's facts from `agent_info` — OS,
// kernel, CPU, sysbench, agent and QEMU versions, and the virt/kvm/container tags — in force at
// the run the report shows, so a number is never read without the machine that produced it
// (as the Phoronix Test Suite prints the system beside every result). An agent older than
// agent_info, or one that did not report a fact, leaves it null: printed as "unknown".
import { inert } from '../../lib/inert.js';
import { FACT_FIELDS } from '../facts/index.js';
import type { Row, Selection, Store } from '../store/store.js';
import { formatTable } from './results-table.js';

/** Facts a report shows (agent_info fields; `declared` is the raw object the QEMU version came from). */
export const REPORT_FACTS = FACT_FIELDS.filter((f) => f !== 'declared');
export type ReportFact = (typeof REPORT_FACTS)[number];
const NUMERIC: ReadonlySet<string> = new Set(['cpus', 'memory_bytes']);

/** Which system, and when: the facts in force at `at` are read. */
export interface SystemKey {
  group: string;
  agent: string;
  /** The report's name for it ("kvm vm1 [patched]"). */
  label: string;
  role: string;
  variant: string;
  /** The run's own tags, used where no agent_info point says otherwise. */
  virt: string;
  kvm: string;
  /** ISO time of the run shown (facts in force then); the newest facts when null. */
  at: string | null;
}

export interface SystemFacts {
  group: string;
  agent: string;
  label: string;
  role: string;
  variant: string;
  virt: string | null;
  kvm: string | null;
  container: string | null;
  /** null: the agent did not report this fact (an older agent). */
  facts: Record<ReportFact, string | number | null>;
  /** When the facts shown were recorded (ISO); null when the agent has no agent_info at all. */
  factsTime: string | null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Each agent's newest agent_info point, of these groups (every group when null), in one
 * statement (`newestFacts`). A system whose agent's newest point is at or before its run (most:
 * facts are stored when they change, at a hello before the runs) or that has none is answered
 * from it; only the others are asked for on their own (newestRows). A thousand guests' facts were
 * 2 000 statements in one request, sent after the report was built (issue 26).
 */
export interface NewestFacts {
  groups: ReadonlySet<string> | null;
  rows: readonly Row[];
}

/** Each agent's newest agent_info point (of `groups`, every group when undefined): one statement, read with the report (document.ts). */
export async function newestFacts(store: Store, groups?: readonly string[]): Promise<NewestFacts> {
  if (groups !== undefined && groups.length === 0) return { groups: new Set(), rows: [] };
  const rows = await store.select({
    measurement: 'agent_info',
    ...(groups !== undefined ? { where: { tags: { group: [...groups] } } } : {}),
    newest: 1,
    groupBy: ['group', 'agent'],
  });
  return { groups: groups === undefined ? null : new Set(groups), rows };
}

const agentKey = (group: string, agent: string) => JSON.stringify([group, agent]);

/**
 * The newest agent_info point of each system at or before its run (and, for a system with none
 * at or before it — an agent clock behind the collector's — the newest there is): from `newest`
 * where it answers (see NewestFacts), the others in one request, every field and tag as
 * `SELECT *` gave them.
 */
async function newestRows(store: Store, keys: readonly SystemKey[], newest?: NewestFacts): Promise<Array<Row | undefined>> {
  const byAgent = new Map<string, Row>();
  for (const r of newest?.rows ?? []) byAgent.set(agentKey(r.tags.group ?? '', r.tags.agent ?? ''), r);
  const selections: Selection[] = [];
  const index = keys.map((k) => {
    const atNs = k.at === null ? null : BigInt(Date.parse(k.at)) * 1_000_000n;
    // An empty tag matches series without it in InfluxDB but is no key of byAgent: asked for on its own.
    if (newest !== undefined && k.group !== '' && k.agent !== '' && (newest.groups === null || newest.groups.has(k.group))) {
      const n = byAgent.get(agentKey(k.group, k.agent));
      // None at all, or the newest at or before the run: both statements below would answer it.
      if (n === undefined || atNs === null || n.timeNs <= atNs) return { row: n };
    }
    const where = { tags: { group: k.group, agent: k.agent } };
    const before = atNs === null ? -1 : selections.push({ measurement: 'agent_info', where: { ...where, to: atNs }, newest: 1 }) - 1;
    const any = selections.push({ measurement: 'agent_info', where, newest: 1 }) - 1;
    return { before, any };
  });
  const answers = selections.length ? await store.selectMany(selections) : [];
  return index.map((i) => ('row' in i ? i.row : ((i.before >= 0 ? answers[i.before]![0] : undefined) ?? answers[i.any]![0])));
}

/** The facts of each system, read in one request (none when `newest`, read before, answers them all). */
export async function readSystemFacts(store: Store, keys: readonly SystemKey[], newest?: Promise<NewestFacts>): Promise<SystemFacts[]> {
  if (keys.length === 0) return [];
  const rows = await newestRows(store, keys, await newest);
  return keys.map((k, i) => {
    const row = rows[i];
    const facts = Object.fromEntries(
      REPORT_FACTS.map((f) => {
        const v = row?.fields[f];
        return [f, NUMERIC.has(f) ? (typeof v === 'number' ? v : null) : text(v)];
      }),
    ) as SystemFacts['facts'];
    return {
      group: k.group,
      agent: k.agent,
      label: k.label,
      role: k.role,
      variant: k.variant,
      virt: text(row?.tags.virt) ?? text(k.virt),
      kvm: text(row?.tags.kvm) ?? text(k.kvm),
      container: text(row?.tags.container),
      facts,
      factsTime: row ? new Date(Number(row.timeNs / 1_000_000n)).toISOString() : null,
    };
  });
}

const UNKNOWN = 'unknown';

function gib(bytes: number): string {
  const g = bytes / 2 ** 30;
  return `${g >= 10 ? g.toFixed(0) : g.toFixed(1)} GiB`;
}

/** One system's facts as display cells: [what, value] pairs, "unknown" where not reported. */
export function factCells(s: SystemFacts): Array<[string, string]> {
  const f = s.facts;
  const v = (x: string | number | null) => (x === null ? UNKNOWN : String(x));
  return [
    ['os', v(f.os)],
    ['kernel', v(f.kernel)],
    ['arch', v(f.arch)],
    ['cpu', v(f.cpu_model)],
    ['cpus', v(f.cpus)],
    ['memory', f.memory_bytes === null ? UNKNOWN : gib(Number(f.memory_bytes))],
    ['sysbench', v(f.sysbench_version)],
    ['agent', v(f.agent_version)],
    ['qemu', v(f.qemu_version)],
    ['virt', v(s.virt)],
    ['kvm', v(s.kvm)],
  ];
}

/** The terminal's systems block: one row per system, its facts as columns. */
export function formatSystems(systems: readonly SystemFacts[]): string {
  if (systems.length === 0) return '';
  const groups = new Set(systems.map((s) => s.group)).size > 1;
  const header = ['system', ...factCells(systems[0]!).map(([k]) => k)];
  // Each fact inert on its own (lib/inert.ts): a kernel string's line break cannot forge a row.
  const rows = systems.map((s) => [groups ? `${s.group}: ${s.label}` : s.label, ...factCells(s).map(([, v]) => v)].map(inert));
  return `Systems (agent_info at each one's run shown; unknown: its agent did not report it)\n${formatTable(header, rows)}\n`;
}
