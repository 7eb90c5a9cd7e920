// What each system of a report is (issue 25 item 1): its agent's facts from `agent_info` — OS,
// kernel, CPU, sysbench, agent and QEMU versions, and the virt/kvm/container tags — in force at
// the run the report shows, so a number is never read without the machine that produced it
// (as the Phoronix Test Suite prints the system beside every result). An agent older than
// agent_info, or one that did not report a fact, leaves it null: printed as "unknown".
import type { InfluxDB } from 'influx';
import { inert } from '../../lib/inert.js';
import { eq } from '../../schema/influxql.js';
import { FACT_FIELDS } from '../facts/index.js';
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

type Row = Record<string, unknown> & { time: { toISOString(): string } };

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

async function newestRow(influx: InfluxDB, database: string, k: SystemKey): Promise<Row | undefined> {
  const who = `${eq('group', k.group)} AND ${eq('agent', k.agent)}`;
  const q = (bound: string) => influx.query(`SELECT * FROM "agent_info" WHERE ${who}${bound} ORDER BY time DESC LIMIT 1`, { database });
  const atNs = k.at === null ? null : BigInt(Date.parse(k.at)) * 1_000_000n;
  const before = atNs === null ? [] : ((await q(` AND time <= ${atNs}`)) as unknown as Row[]);
  // None at or before the run (an agent clock behind the collector's): the newest there is.
  return before[0] ?? ((await q('')) as unknown as Row[])[0];
}

/** The facts of each system, one query per system (a report shows tens of them, not thousands). */
export async function readSystemFacts(influx: InfluxDB, database: string, keys: readonly SystemKey[]): Promise<SystemFacts[]> {
  const out: SystemFacts[] = [];
  for (const k of keys) {
    const row = await newestRow(influx, database, k);
    const facts = Object.fromEntries(
      REPORT_FACTS.map((f) => {
        const v = row?.[f];
        return [f, NUMERIC.has(f) ? (typeof v === 'number' ? v : null) : text(v)];
      }),
    ) as SystemFacts['facts'];
    out.push({
      group: k.group,
      agent: k.agent,
      label: k.label,
      role: k.role,
      variant: k.variant,
      virt: text(row?.virt) ?? text(k.virt),
      kvm: text(row?.kvm) ?? text(k.kvm),
      container: text(row?.container),
      facts,
      factsTime: row ? row.time.toISOString() : null,
    });
  }
  return out;
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
