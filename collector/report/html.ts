// One self-contained HTML file: inline CSS and SVG, no scripts, no external fonts or images.
// One reference on the page: each test's bars are the ratio to its baseline (= 1, the line
// across), with the engine's 95 % interval as whiskers, exactly the table's "ratio to baseline"
// under it; the systems' facts in a header; human times with the ISO time in a title.
import type { Report, ReportSection, SystemResult } from './build.js';
import type { Verdict } from '../../lib/compare/compare.js';
import { factCells, type SystemFacts } from './facts.js';
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

/** A label's drawn width at the chart's font sizes (an estimate on the wide side, for spacing). */
const textWidth = (text: string, px: number) => text.length * px * 0.62;

/** A bar's value: the ratio to the section's baseline, the engine's number as the table shows it. */
function barOf(r: SystemResult, isRef: boolean): { v: number; low: number | null; high: number | null } | null {
  if (isRef) return { v: 1, low: null, high: null };
  const c = r.vsReference;
  if (!c || c.ratio === null || !Number.isFinite(c.ratio)) return null;
  return { v: c.ratio, low: c.ratioLow, high: c.ratioHigh };
}

function chart(section: ReportSection, colors: Map<string, string>, index: number): string {
  if (!section.reference) return '';
  const refKey = JSON.stringify(section.reference);
  const systems = [...new Set(section.metrics.flatMap((m) => m.results.map((r) => r.system.label)))];
  const barW = 26;
  const gap = 34;
  // Each metric's group is at least as wide as its label, so neighbouring labels never overlap.
  const groupWidths = section.metrics.map((m) => Math.max(systems.length * barW + gap, textWidth(m.metric, 11) + 16, textWidth('higher is better', 10) + 16));
  const left = 56;
  const top = 16;
  const plotH = 200;
  const legendW = Math.max(120, ...systems.map((l) => textWidth(l, 11) + 28));
  const plotRight = left + groupWidths.reduce((a, b) => a + b, 0);
  const width = Math.max(480, plotRight + 16);
  // As many legend columns as fit, so no label is clipped.
  const legendCols = Math.max(1, Math.floor((width - left) / legendW));
  const legendRows = Math.ceil(systems.length / legendCols);
  const height = top + plotH + 56 + legendRows * 18;
  const bars = section.metrics.map((m) => m.results.map((r) => barOf(r, JSON.stringify(r.system) === refKey)));
  const yMax = Math.max(1, ...bars.flat().map((b) => (b ? (b.high ?? b.v) : 0))) * 1.1;
  const y = (v: number) => top + plotH - (Math.max(0, v) / yMax) * plotH;
  const parts: string[] = [];
  const ticks = yMax > 2.2 ? [0, 0.5, 1, 1.5, 2, 3, 4, 5, 10].filter((t) => t <= yMax) : [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2].filter((t) => t <= yMax);
  for (const tick of ticks) {
    parts.push(`<line class="${tick === 1 ? 'ref' : 'grid'}" x1="${left}" x2="${width - 8}" y1="${n(y(tick))}" y2="${n(y(tick))}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${n(y(tick) + 4)}" text-anchor="end">${tick}</text>`);
  }
  parts.push(`<text class="ylabel" transform="translate(14 ${n(top + plotH / 2)}) rotate(-90)" text-anchor="middle">ratio to baseline (= 1)</text>`);
  let gx = left;
  section.metrics.forEach((m, gi) => {
    const gw = groupWidths[gi]!;
    const x0 = gx + (gw - systems.length * barW) / 2;
    m.results.forEach((r, ri) => {
      const b = bars[gi]![ri];
      const si = systems.indexOf(r.system.label);
      const x = x0 + si * barW;
      if (!b) {
        parts.push(`<text class="val" x="${n(x + barW / 2)}" y="${n(y(0) - 4)}" text-anchor="middle">—</text>`);
        return;
      }
      const h = y(0) - y(b.v);
      const title = `${r.system.label} · ${m.metric}: ${fmtNum(r.mean)}, ${b.v.toFixed(3)} × baseline`;
      parts.push(
        `<rect class="bar" x="${n(x + 2)}" y="${n(y(b.v))}" width="${barW - 4}" height="${n(Math.max(h, 1))}" fill="${colors.get(r.system.label)}"><title>${escapeHtml(title)}</title></rect>`,
      );
      if (b.low !== null && b.high !== null) {
        const cx = x + barW / 2;
        parts.push(`<path class="whisker" d="M${n(cx)} ${n(y(b.low))}V${n(y(b.high))}M${n(cx - 5)} ${n(y(b.low))}h10M${n(cx - 5)} ${n(y(b.high))}h10"/>`);
      }
      parts.push(`<text class="val" x="${n(x + barW / 2)}" y="${n(y(b.high ?? b.v) - 4)}" text-anchor="middle">${b.v.toFixed(2)}</text>`);
    });
    parts.push(`<text class="metric" x="${n(gx + gw / 2)}" y="${top + plotH + 16}" text-anchor="middle">${escapeHtml(m.metric)}</text>`);
    parts.push(
      `<text class="dir" x="${n(gx + gw / 2)}" y="${top + plotH + 30}" text-anchor="middle">${m.direction === 'higher' ? 'higher is better' : 'lower is better'}</text>`,
    );
    gx += gw;
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
td:first-child,th:first-child{text-align:left}td.unknown{color:#999}tr.mh th{background:#f5f5f5}span.ci,span.n,span.dir{color:#777;font-weight:normal}
.ref{stroke:#333;stroke-dasharray:4 3}.ylabel{font-size:11px;fill:#555}table.facts td,table.facts th{text-align:left}
.band{fill:#4e79a7;fill-opacity:.18;stroke:none}.line{fill:none;stroke:#4e79a7;stroke-width:1.6}.pt{fill:#4e79a7}.cp{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:5 3}.cpl{font-size:10px;fill:#c0392b}.zero{stroke:#333}
p.short{color:#777;font-size:12px}time{border-bottom:1px dotted #aaa}
${Object.entries(VERDICT_STYLE)
  .map(([v, style]) => `.v-${v}{${style}}`)
  .join('')}`;

/** `6 Dec 2026, 07:57 UTC`, with the ISO time in a title (hover) and a datetime attribute. */
export function humanTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return escapeHtml(iso);
  const text = `${d.getUTCDate()} ${d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${d.getUTCFullYear()}, ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} UTC`;
  return `<time datetime="${escapeHtml(d.toISOString())}" title="${escapeHtml(d.toISOString())}">${text}</time>`;
}

/** The systems' facts as the page's header table ("unknown" where an older agent did not report one). */
export function renderFactsHeader(systems: readonly SystemFacts[]): string {
  if (systems.length === 0) return '';
  const multi = new Set(systems.map((s) => s.group)).size > 1;
  const head = ['system', ...factCells(systems[0]!).map(([k]) => k), 'facts since'];
  const rows = systems.map(
    (s) =>
      `<tr><th>${escapeHtml(multi ? `${s.group}: ${s.label}` : s.label)}</th>${factCells(s)
        .map(([, v]) => `<td${v === 'unknown' ? ' class="unknown"' : ''}>${escapeHtml(v)}</td>`)
        .join('')}<td>${s.factsTime ? humanTime(s.factsTime) : 'unknown'}</td></tr>`,
  );
  return `<section id="systems"><h2>Systems</h2><p class="meta">What each system is: its agent's facts (agent_info) in force at the run shown; unknown where its agent did not report one.</p><table class="facts"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.join('')}</table></section>`;
}

/** The page around its sections: one style, no scripts, nothing fetched. */
export function htmlPage(title: string, sections: readonly string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body>${sections.filter(Boolean).join('\n')}</body></html>\n`;
}

/** The report as one self-contained HTML document (the systems' facts in its header when given). */
export function renderHtmlReport(report: Report, systems: readonly SystemFacts[] = []): string {
  const colors = colorMap(report);
  const body: string[] = [];
  body.push(`<h1>Virtualization overhead</h1>`);
  body.push(
    `<p class="meta">Database ${escapeHtml(report.database)}${report.group !== null ? `, group ${escapeHtml(report.group)}` : ''}, results since ${humanTime(report.since)}, generated ${humanTime(report.generatedAt)}. ` +
      `Bars: each system against its baseline, ratio = guest / baseline (the baseline = 1, the dashed line), as the table's "ratio to baseline"; whiskers its 95 % interval. For time and latency metrics lower is better, so a bar above 1 is worse there. ` +
      `Each system's latest run. Overhead &gt; 0 means the guest is worse than the baseline; verdict: worse/better when the 95 % interval lies outside ±margin, equivalent when the 90 % interval lies within it (two one-sided tests) and the run-to-run noise is below the margin; the margin is the table's default for the test and metric unless set (docs/overhead.md).</p>`,
  );
  body.push(renderFactsHeader(systems));
  if (report.sections.length === 0) body.push('<p>No sysbench results in this period.</p>');
  report.sections.forEach((s, i) => {
    body.push(`<section><h2>${escapeHtml(sectionTitle(s))}</h2>`);
    body.push(s.reference ? `<p class="meta">Baseline: ${escapeHtml(s.reference.label)}</p>` : '<p class="meta">No baseline in this group: no ratios.</p>');
    body.push(chart(s, colors, i), table(s), '</section>');
  });
  return htmlPage('virt-overhead report', body);
}
