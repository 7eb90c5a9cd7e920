// One self-contained HTML file: inline CSS and SVG, no scripts, no external fonts or images.
// Each test gets a bar chart normalised to the best system = 1 (taller is better, for time
// and latency metrics too), with 95 % CI whiskers, and the comparison table under it.
import type { Report, ReportSection, SystemResult } from './build.js';
import type { Verdict } from '../../lib/compare/compare.js';
import { directionText, fmtHalfWidth, fmtNum, fmtOverheadCell, fmtRatioCell, fmtVerdict, sectionTitle } from './format.js';

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function colorMap(report: Report): Map<string, string> {
  const colors = new Map<string, string>();
  for (const s of report.sections)
    for (const m of s.metrics) for (const r of m.results) if (!colors.has(r.system.label)) colors.set(r.system.label, PALETTE[colors.size % PALETTE.length]!);
  return colors;
}

function n(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function chart(section: ReportSection, colors: Map<string, string>, index: number): string {
  const systems = [...new Set(section.metrics.flatMap((m) => m.results.map((r) => r.system.label)))];
  const barW = 26;
  const gap = 34;
  const groupW = systems.length * barW + gap;
  const left = 48;
  const top = 16;
  const plotH = 200;
  const legendW = 190;
  const width = Math.max(480, left + section.metrics.length * groupW + 16);
  // As many legend columns as fit, so no label is clipped.
  const legendCols = Math.max(1, Math.floor((width - left) / legendW));
  const legendRows = Math.ceil(systems.length / legendCols);
  const height = top + plotH + 56 + legendRows * 18;
  const yMax = Math.max(1, ...section.metrics.flatMap((m) => m.results.map((r) => r.normalizedHigh ?? r.normalized))) * 1.08;
  const y = (v: number) => top + plotH - (Math.max(0, v) / yMax) * plotH;
  const parts: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${left}" x2="${width - 8}" y1="${n(y(tick))}" y2="${n(y(tick))}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${n(y(tick) + 4)}" text-anchor="end">${tick}</text>`);
  }
  section.metrics.forEach((m, gi) => {
    const gx = left + gap / 2 + gi * groupW;
    m.results.forEach((r) => {
      const si = systems.indexOf(r.system.label);
      const x = gx + si * barW;
      const h = y(0) - y(r.normalized);
      const title = `${r.system.label} · ${m.metric}: ${fmtNum(r.mean)} (${n(r.normalized * 100)} % of best)`;
      parts.push(
        `<rect class="bar" x="${n(x + 2)}" y="${n(y(r.normalized))}" width="${barW - 4}" height="${n(Math.max(h, 1))}" fill="${colors.get(r.system.label)}"><title>${escapeHtml(title)}</title></rect>`,
      );
      if (r.normalizedLow !== null && r.normalizedHigh !== null) {
        const cx = x + barW / 2;
        parts.push(
          `<path class="whisker" d="M${n(cx)} ${n(y(r.normalizedLow))}V${n(y(r.normalizedHigh))}M${n(cx - 5)} ${n(y(r.normalizedLow))}h10M${n(cx - 5)} ${n(y(r.normalizedHigh))}h10"/>`,
        );
      }
      parts.push(
        `<text class="val" x="${n(x + barW / 2)}" y="${n(y(r.normalizedHigh ?? r.normalized) - 4)}" text-anchor="middle">${r.normalized.toFixed(2)}</text>`,
      );
    });
    parts.push(
      `<text class="metric" x="${n(gx + (m.results.length ? (systems.length * barW) / 2 : 0))}" y="${top + plotH + 16}" text-anchor="middle">${escapeHtml(m.metric)}</text>`,
    );
    parts.push(
      `<text class="dir" x="${n(gx + (systems.length * barW) / 2)}" y="${top + plotH + 30}" text-anchor="middle">${m.direction === 'higher' ? 'higher is better' : 'lower is better'}</text>`,
    );
  });
  parts.push(`<line class="axis" x1="${left}" x2="${width - 8}" y1="${y(0)}" y2="${y(0)}"/>`);
  systems.forEach((label, i) => {
    const lx = left + (i % legendCols) * legendW;
    const ly = top + plotH + 48 + Math.floor(i / legendCols) * 18;
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="11" height="11" fill="${colors.get(label)}"/><text class="legend" x="${lx + 16}" y="${ly}">${escapeHtml(label)}</text>`,
    );
  });
  return `<svg class="chart" id="chart-${index}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(sectionTitle(section))}">${parts.join('')}</svg>`;
}

function cell(r: SystemResult, isRef: boolean): { value: string; ratio: string; overhead: string; verdict: string } {
  const ci = r.ciLow !== null && r.ciHigh !== null ? ` ± ${fmtHalfWidth(r.mean, r.ciLow, r.ciHigh)}` : '';
  const c = r.vsReference;
  return {
    value: `${fmtNum(r.mean)}${ci} <span class="n">n=${r.n}</span>`,
    ratio: isRef ? '1' : c ? escapeHtml(fmtRatioCell(c)) : '—',
    overhead: isRef || !c ? '—' : escapeHtml(fmtOverheadCell(c)),
    verdict: isRef || !c ? '—' : `<span class="v-${c.verdict}">${escapeHtml(fmtVerdict(c))}</span>`,
  };
}

function table(section: ReportSection): string {
  const refKey = section.reference ? JSON.stringify(section.reference) : null;
  const rows: string[] = [];
  for (const m of section.metrics) {
    rows.push(
      `<tr class="mh"><th>${escapeHtml(m.metric)} <span class="dir">(${directionText(m.direction)})</span></th>${m.results.map((r) => `<th>${escapeHtml(r.system.label)}</th>`).join('')}</tr>`,
    );
    const cells = m.results.map((r) => cell(r, refKey !== null && JSON.stringify(r.system) === refKey));
    rows.push(`<tr><td>mean ± 95% CI</td>${cells.map((c) => `<td>${c.value}</td>`).join('')}</tr>`);
    rows.push(`<tr><td>ratio to baseline</td>${cells.map((c) => `<td>${c.ratio}</td>`).join('')}</tr>`);
    rows.push(`<tr><td>overhead</td>${cells.map((c) => `<td>${c.overhead}</td>`).join('')}</tr>`);
    rows.push(`<tr><td>verdict</td>${cells.map((c) => `<td>${c.verdict}</td>`).join('')}</tr>`);
  }
  return `<table>${rows.join('')}</table>`;
}

/** Each verdict's look in the HTML report (a Record: a new verdict must be given one). */
const VERDICT_STYLE: Readonly<Record<Verdict, string>> = {
  worse: 'color:#c0392b;font-weight:bold',
  better: 'color:#1e8449;font-weight:bold',
  equivalent: 'color:#1f618d',
  inconclusive: 'color:#9a7d0a',
  unmeasurable: 'color:#777',
};

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.meta{color:#555;font-size:13px}.grid{stroke:#e3e3e3}.axis{stroke:#555}.tick,.dir,.val{font-size:10px;fill:#555}
.metric{font-size:11px;fill:#222}.legend{font-size:11px;fill:#222}.whisker{stroke:#222;stroke-width:1.2;fill:none}
table{border-collapse:collapse;font-size:12px;margin-top:8px}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}tr.mh th{background:#f5f5f5}span.ci,span.n,span.dir{color:#777;font-weight:normal}
${Object.entries(VERDICT_STYLE)
  .map(([v, style]) => `.v-${v}{${style}}`)
  .join('')}`;

/** The report as one self-contained HTML document. */
export function renderHtmlReport(report: Report): string {
  const colors = colorMap(report);
  const body: string[] = [];
  body.push(`<h1>Virtualization overhead</h1>`);
  body.push(
    `<p class="meta">Database ${escapeHtml(report.database)}${report.group !== null ? `, group ${escapeHtml(report.group)}` : ''}, results since ${escapeHtml(report.since)}, generated ${escapeHtml(report.generatedAt)}. ` +
      `Bars: performance relative to the best system of each metric (1 = best; for time and latency metrics best/value, so taller is always better), whiskers the 95 % confidence interval of the mean. ` +
      `Each system's latest run. Overhead &gt; 0 means the guest is worse than the baseline; verdict: worse/better when the 95 % interval lies outside ±margin, equivalent when the 90 % interval lies within it (two one-sided tests) and the run-to-run noise is below the margin; the margin is the table's default for the test and metric unless set (docs/overhead.md).</p>`,
  );
  if (report.sections.length === 0) body.push('<p>No sysbench results in this period.</p>');
  report.sections.forEach((s, i) => {
    body.push(`<section><h2>${escapeHtml(sectionTitle(s))}</h2>`);
    body.push(s.reference ? `<p class="meta">Baseline: ${escapeHtml(s.reference.label)}</p>` : '<p class="meta">No baseline in this group: no ratios.</p>');
    body.push(chart(s, colors, i), table(s), '</section>');
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>virt-overhead report</title><style>${CSS}</style></head><body>${body.join('\n')}</body></html>\n`;
}
