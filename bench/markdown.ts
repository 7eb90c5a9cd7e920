// Renders benchmark sections as docs/BENCHMARKS.md.
import type { MachineInfo } from './machine.js';
import type { BenchResult, BenchSection } from './types.js';

function fmt(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US').replace(/,/g, ' ') : String(v);
}

function verdict(r: BenchResult): string {
  if (r.met === undefined) return '';
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
    out.push(`- **The machine was shared during this run** (load above its ${m.cores} cores: other work was running). Absolute rates are noisy; the ratios measured within one run (collector vs direct, agent vs bare) and the CPU time per point are the figures to trust.`);
  }
  out.push('');
  out.push('## Goals', '', '| figure | value | goal | |', '|---|---:|---|---|');
  for (const s of rep.sections) for (const r of s.results) if (r.goal) out.push(`| ${s.title}: ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.goal} | ${verdict(r)} |`);
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
