// The terminal table: per test, systems side by side (native, then each guest) like the
// experiment report's S1 / S2 / S3 comparisons, with 95 % intervals and the engine's verdict.
import type { Report, ReportMetric, ReportSection, SystemResult } from './build.js';
import { formatSystems, type SystemFacts } from './facts.js';
import { formatNoiseLines } from './noise.js';
import { directionText, fmtHalfWidth, fmtNum, fmtOverheadCell, fmtRatioCell, fmtVerdict, sectionTitle } from './format.js';

function valueCell(r: SystemResult): string {
  const ci = r.ciLow !== null && r.ciHigh !== null ? ` ± ${fmtHalfWidth(r.mean, r.ciLow, r.ciHigh)}` : '';
  return `${fmtNum(r.mean)}${ci} (n=${r.n})`;
}

function ratioCell(r: SystemResult, isRef: boolean): string {
  if (isRef) return '1';
  return r.vsReference ? fmtRatioCell(r.vsReference) : '—';
}

/** One metric of a section as rows (the row's name, then one cell per system): the terminal's and markdown's. */
export function metricBlock(section: ReportSection, m: ReportMetric): string[][] {
  const refKey = section.reference ? JSON.stringify(section.reference) : null;
  const isRef = (r: SystemResult) => refKey !== null && JSON.stringify(r.system) === refKey;
  return [
    [`${m.metric} (${directionText(m.direction)})`, ...m.results.map((r) => r.system.label)],
    ['  mean ± 95% CI', ...m.results.map(valueCell)],
    ['  ratio to baseline', ...m.results.map((r) => ratioCell(r, isRef(r)))],
    ['  overhead', ...m.results.map((r) => (isRef(r) || !r.vsReference ? '—' : fmtOverheadCell(r.vsReference)))],
    ['  verdict', ...m.results.map((r) => (isRef(r) || !r.vsReference ? '—' : fmtVerdict(r.vsReference)))],
  ];
}

function layout(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('   ')
      .trimEnd(),
  );
}

/**
 * Formats a report as plain text for a terminal. Stable API (the lab prints its results with
 * it): one block per test section, one sub-block per metric, systems as columns; the systems'
 * facts, when given, under the header.
 */
export function formatReportTable(report: Report, systems: readonly SystemFacts[] = []): string {
  const out: string[] = [];
  out.push(`virt-overhead report · database ${report.database}${report.group !== null ? ` · group ${report.group}` : ''} · since ${report.since}`);
  out.push("Each system's latest run; ratio = guest / baseline run; overhead > 0 means the guest is worse; intervals are 95 %;");
  out.push('verdict: worse/better = interval outside ±margin, equivalent = within it (TOST) with the run-to-run noise below the margin (docs/overhead.md).');
  if (systems.length > 0) out.push('', formatSystems(systems).trimEnd());
  if (report.sections.length === 0) {
    out.push('', 'No sysbench results in this period.');
    return out.join('\n') + '\n';
  }
  for (const s of report.sections) {
    out.push('', `== ${sectionTitle(s)} ==`);
    out.push(s.reference ? `baseline: ${s.reference.label}` : '(no baseline in this group: no ratios)');
    const rows: string[][] = [];
    s.metrics.forEach((m, i) => {
      if (i > 0) rows.push([]);
      rows.push(...metricBlock(s, m));
    });
    // Lay out all metrics of a section together so the columns line up.
    out.push(...layout(rows.map((r) => (r.length ? r : ['']))));
  }
  return out.join('\n') + '\n' + formatNoiseLines(report.noise ?? [], report.excludeDisturbed === true);
}
