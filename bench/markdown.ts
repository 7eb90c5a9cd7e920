// Renders benchmark sections as docs/BENCHMARKS.md.
import type { MachineInfo } from './machine.js';
import type { BenchResult, BenchSection } from './types.js';

function fmt(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US').replace(/,/g, ' ') : String(v);
}

function verdict(r: BenchResult): string {
  if (r.met === undefined) return '';
  if (r.met === 'not shown') return '**not shown**';
  return r.met ? '**met**' : '**NOT met**';
}

export interface Report {
  date: Date;
  machine: MachineInfo;
  loadEnd: number[];
  durationS: number;
  sections: BenchSection[];
  skipped: string[];
}

export function renderMarkdown(rep: Report): string {
  const m = rep.machine;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push('Written by `npm run bench` (bench/run.ts); do not edit by hand. Benchmarks, not tests: nothing in `npm test` depends on these times.', '');
  out.push(`- Date: ${rep.date.toISOString()} (whole run ${Math.round(rep.durationS)} s)`);
  out.push(`- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Linux ${m.kernel}, Node ${m.node}`);
  out.push(`- Load average (1, 5, 15 min) at the start: ${m.loadavg.join(', ')}; at the end: ${rep.loadEnd.join(', ')}`);
  // The 1-minute averages at start and end say whether other work ran beside this run.
  if (Math.max(m.loadavg[0] ?? 0, rep.loadEnd[0] ?? 0) > m.cores) {
    out.push(
      `- **The machine was shared during this run** (load above its ${m.cores} cores: other work was running). Absolute rates are noisy; the ratios measured within one run (collector vs direct, agent vs bare) and the CPU time per point are the figures to trust.`,
    );
  }
  out.push('');
  out.push('## Goals', '', '| figure | value | goal | |', '|---|---:|---|---|');
  for (const s of rep.sections)
    for (const r of s.results) if (r.goal) out.push(`| ${s.title}: ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.goal} | ${verdict(r)} |`);
  out.push('');
  for (const s of rep.sections) {
    out.push(`## ${s.title}`, '', s.method, '', '| figure | value | unit | goal | |', '|---|---:|---|---|---|');
    for (const r of s.results) out.push(`| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${r.goal ?? ''} | ${verdict(r)} |`);
    out.push('');
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length) out.push('');
  }
  if (rep.skipped.length) {
    out.push('## Not measured in this run', '');
    for (const s of rep.skipped) out.push(`- ${s}`);
    out.push('');
  }
  return out.join('\n');
}

/** `## title` blocks of a rendered file, in order, and what precedes the first. */
function blocks(md: string): { head: string; sections: Array<[string, string]> } {
  const [head, ...rest] = md.split(/^## /m);
  return { head: head!, sections: rest.map((b) => [b.slice(0, b.indexOf('\n')).trim(), '## ' + b]) };
}

const RERUN_TAIL = ' (the other sections are from the date above)';

/** The section titles a header's "Rerun with --only" line names, or null for any other line. */
function rerunTitles(line: string): string[] | null {
  if (!line.endsWith(RERUN_TAIL)) return null;
  const m = /^- Rerun with --only on \S+Z(?: \(whole run [^)]*\))?: (.*)$/.exec(line.slice(0, -RERUN_TAIL.length));
  return m ? m[1]!.split('; ') : null;
}

/**
 * A partial run (`--only`) merged into the existing file: its sections replace those of the same
 * title, the others keep their figures; the Goals table is rebuilt from both; the header says
 * which sections were rerun and when.
 */
export function mergeMarkdown(existing: string, fresh: string): string {
  const old = blocks(existing);
  const now = blocks(fresh);
  const special = (t: string) => t === 'Goals' || t === 'Not measured in this run';
  const freshTitles = new Set(now.sections.map(([t]) => t).filter((t) => !special(t)));
  // Every section asked for failed: nothing in the file changed, so neither does its header.
  if (freshTitles.size === 0) return existing.trimEnd();
  const merged = new Map(old.sections.filter(([t]) => !special(t)));
  for (const [t, b] of now.sections) if (!special(t)) merged.set(t, b);
  const goalRows = (md: { sections: Array<[string, string]> }) =>
    (md.sections.find(([t]) => t === 'Goals')?.[1] ?? '').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| figure'));
  const rows = [
    ...goalRows(old).filter((r) => ![...freshTitles].some((t) => r.startsWith(`| ${t}: `))),
    ...goalRows(now).filter((r) => [...freshTitles].some((t) => r.startsWith(`| ${t}: `))),
  ];
  const date = /^- Date: (.*)$/m.exec(now.head)?.[1] ?? '';
  // An earlier rerun line whose sections were all run again now describes figures no longer in the file.
  const earlier = old.head
    .trimEnd()
    .split('\n')
    .filter((line) => !rerunTitles(line)?.every((t) => freshTitles.has(t)));
  const head = earlier.join('\n') + `\n- Rerun with --only on ${date}: ${[...freshTitles].join('; ')}${RERUN_TAIL}\n\n`;
  const goals = ['## Goals', '', '| figure | value | goal | |', '|---|---:|---|---|', ...rows, '', ''].join('\n');
  return (head + goals + [...merged.values()].map((b) => b.trimEnd() + '\n\n').join('')).trimEnd();
}
