// The HTML page of `report --html` (the overhead table) and `report --changes --html`: the
// document's sections, then per guest its overhead over time — the stored `overhead` points with
// their 95 % interval as a band and the change points the collector found marked — and the
// change points listed, every "too short to decide" series folded into one line. Inline SVG
// only: the page fetches nothing.
import { describeChange, seriesTitle, type ChangeReportSeries } from '../changes/report.js';
import { guestTags } from '../changes/series.js';
import type { Store } from '../store/store.js';
import { renderChainHtml } from './chain/format.js';
import type { ReportDocument } from './document.js';
import { escapeHtml, htmlPage, humanTime, renderFactsHeader, renderHtmlReport } from './html.js';

/** At most this many plots on one page (a fleet of hundreds of series stays readable; the rest are named). */
const MAX_PLOTS = 40;

export interface TimelinePoint {
  timeMs: number;
  pct: number;
  low: number | null;
  high: number | null;
}

export interface Timeline {
  series: ChangeReportSeries;
  points: TimelinePoint[];
}

const TIMELINE_FIELDS = ['overhead_pct', 'ci_low_pct', 'ci_high_pct', 'threads'];

/** The stored overhead of each series with runs (not too short first: those have change points to show), read in one request. */
export async function readTimelines(store: Store, series: readonly ChangeReportSeries[], sinceMs: number): Promise<Timeline[]> {
  const shown = [...series]
    .sort((a, b) => Number(Boolean(a.tooShort)) - Number(Boolean(b.tooShort)) || b.changes.length - a.changes.length)
    .slice(0, MAX_PLOTS);
  if (shown.length === 0) return [];
  const from = BigInt(Math.floor(sinceMs)) * 1_000_000n;
  const answers = await store.selectMany(
    shown.map((s) => ({
      measurement: 'overhead' as const,
      where: { tags: { ...guestTags(s.key), metric: s.metric, baseline_agent: s.baselineAgent }, from },
      fields: TIMELINE_FIELDS,
    })),
  );
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const out: Timeline[] = [];
  shown.forEach((s, i) => {
    // threads is a field, not a tag: a series of one thread count keeps only its own points.
    const rows = s.threads === null ? answers[i]! : answers[i]!.filter((r) => r.fields.threads === s.threads);
    const points = rows.flatMap((r) => {
      const pct = num(r.fields.overhead_pct);
      return pct === null ? [] : [{ timeMs: Number(r.timeNs / 1_000_000n), pct, low: num(r.fields.ci_low_pct), high: num(r.fields.ci_high_pct) }];
    });
    if (points.length > 0) out.push({ series: s, points });
  });
  return out;
}

const r1 = (v: number) => (Math.round(v * 10) / 10).toString();

function shortDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** Round steps for an axis: about `count` of them over [lo, hi]. */
function steps(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** One series: overhead % over time, its interval as a band, change points as dashed verticals. */
export function timelineSvg(t: Timeline, index: number): string {
  const W = 720;
  const H = 220;
  const right = 16;
  const top = 14;
  const bottom = 40;
  const pts = t.points;
  const t0 = pts[0]!.timeMs;
  const t1 = Math.max(pts[pts.length - 1]!.timeMs, t0 + 1);
  const vals = pts.flatMap((p) => [p.pct, p.low ?? p.pct, p.high ?? p.pct]).concat([0]);
  const pad = Math.max(1, (Math.max(...vals) - Math.min(...vals)) * 0.08);
  const lo = Math.min(...vals) - pad;
  const hi = Math.max(...vals) + pad;
  const yTicks = steps(lo, hi, 5);
  const tickText = (v: number) => `${v > 0 ? '+' : ''}${v} %`;
  // Room for the widest tick label and the rotated axis title beside it.
  const left = Math.ceil(30 + Math.max(...yTicks.map((v) => tickText(v).length)) * 10 * 0.62);
  const x = (ms: number) => left + ((ms - t0) / (t1 - t0)) * (W - left - right);
  const y = (v: number) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  const parts: string[] = [];
  for (const v of yTicks) {
    parts.push(`<line class="${v === 0 ? 'zero' : 'grid'}" x1="${left}" x2="${W - right}" y1="${r1(y(v))}" y2="${r1(y(v))}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${r1(y(v) + 4)}" text-anchor="end">${tickText(v)}</text>`);
  }
  // Time ticks far enough apart for their labels (about 80 px each).
  const ticks = Math.max(2, Math.min(6, Math.floor((W - left - right) / 110)));
  for (let i = 0; i < ticks; i++) {
    const ms = t0 + ((t1 - t0) * i) / (ticks - 1);
    parts.push(
      `<text class="tick xt" x="${r1(x(ms))}" y="${H - bottom + 16}" text-anchor="${i === 0 ? 'start' : i === ticks - 1 ? 'end' : 'middle'}">${shortDate(ms)} UTC</text>`,
    );
  }
  const banded = pts.filter((p) => p.low !== null && p.high !== null);
  if (banded.length > 1) {
    const upper = banded.map((p) => `${r1(x(p.timeMs))},${r1(y(p.high!))}`);
    const lower = [...banded].reverse().map((p) => `${r1(x(p.timeMs))},${r1(y(p.low!))}`);
    parts.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}"><title>95 % interval of the overhead</title></polygon>`);
  }
  parts.push(`<polyline class="line" points="${pts.map((p) => `${r1(x(p.timeMs))},${r1(y(p.pct))}`).join(' ')}"/>`);
  for (const p of pts) {
    const iso = new Date(p.timeMs).toISOString();
    parts.push(
      `<circle class="pt" cx="${r1(x(p.timeMs))}" cy="${r1(y(p.pct))}" r="2.2"><title>${iso}: ${p.pct > 0 ? '+' : ''}${p.pct.toFixed(1)} %</title></circle>`,
    );
  }
  for (const c of t.series.changes) {
    const ms = Date.parse(c.time);
    if (!(ms >= t0 && ms <= t1)) continue;
    const cx = r1(x(ms));
    parts.push(`<line class="cp" x1="${cx}" x2="${cx}" y1="${top}" y2="${H - bottom}"><title>${escapeHtml(describeChange(c))}</title></line>`);
    parts.push(
      `<text class="cpl" x="${cx}" y="${top + 10}" text-anchor="${x(ms) > W / 2 ? 'end' : 'start'}" dx="${x(ms) > W / 2 ? -4 : 4}">${escapeHtml(c.tags.kind ?? 'change')}</text>`,
    );
  }
  parts.push(
    `<text class="ylabel" transform="translate(12 ${r1(top + (H - top - bottom) / 2)}) rotate(-90)" text-anchor="middle">overhead % (&gt; 0: worse)</text>`,
  );
  return `<svg class="timeline" id="timeline-${index}" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(seriesTitle(t.series))}">${parts.join('')}</svg>`;
}

/** Per guest, a plot per series, newest change points marked. */
export function renderTimelines(timelines: readonly Timeline[], total: number): string {
  if (timelines.length === 0) return '';
  const byGuest = new Map<string, Timeline[]>();
  for (const t of timelines) {
    const g = `${t.series.key.group} · ${t.series.key.agent}`;
    byGuest.set(g, [...(byGuest.get(g) ?? []), t]);
  }
  let i = 0;
  const out = [
    `<section id="over-time"><h2>Overhead over time</h2><p class="meta">Each guest's stored overhead against its baseline, run by run (line), its 95 % interval (band) and the change points the collector found (dashed, red).${total > timelines.length ? ` The first ${timelines.length} of ${total} series are drawn.` : ''}</p>`,
  ];
  for (const [guest, ts] of byGuest) {
    out.push(`<h3>${escapeHtml(guest)}</h3>`);
    for (const t of ts) out.push(`<figure><figcaption>${escapeHtml(seriesTitle(t.series))}</figcaption>${timelineSvg(t, i++)}</figure>`);
  }
  out.push('</section>');
  return out.join('\n');
}

/** The change points, every series too short to decide folded into one line. */
export function renderChanges(series: readonly ChangeReportSeries[]): string {
  const changed = series.filter((s) => s.changes.length > 0);
  const short = series.filter((s) => s.tooShort);
  const body: string[] = [];
  if (changed.length === 0) body.push('<p>No change points in this period.</p>');
  else
    body.push(
      `<ul>${changed
        .map(
          (s) =>
            `<li><b>${escapeHtml(seriesTitle(s))}</b><ul>${s.changes.map((c) => `<li>${humanTime(c.time)} ${escapeHtml(describeChange(c).replace(/^\S+\s+/, ''))}</li>`).join('')}</ul></li>`,
        )
        .join('')}</ul>`,
    );
  if (short.length > 0) {
    const needed = Math.max(...short.map((s) => s.tooShort!.needed));
    const names = short.map((s) => seriesTitle(s)).join('; ');
    body.push(
      `<p class="short" title="${escapeHtml(names)}">${short.length} series too short to decide (fewer runs than the ${needed} a change point needs).</p>`,
    );
  }
  return `<section id="changes"><h2>Changes over time</h2>${body.join('')}</section>`;
}

/** The whole page of a document (overhead or changes); the compare kind has none. */
export async function renderPage(doc: ReportDocument, store: Store): Promise<string> {
  if (doc.kind === 'compare') throw new Error('renderPage: --compare writes no page');
  const series = doc.kind === 'overhead' ? (doc.changes ?? []) : doc.series;
  const timelines = renderTimelines(await readTimelines(store, series, Date.parse(doc.since)), series.filter((s) => !s.tooShort).length);
  if (doc.kind === 'overhead') {
    const page = renderHtmlReport(doc.report, doc.systems);
    const at = page.lastIndexOf('</body>');
    return page.slice(0, at) + [timelines, renderChanges(series), renderChainHtml(doc.chains)].join('\n') + page.slice(at);
  }
  return htmlPage('virt-overhead change points', [
    '<h1>Change points of the overhead</h1>',
    `<p class="meta">Database ${escapeHtml(doc.database)}${doc.group !== null ? `, group ${escapeHtml(doc.group)}` : ''}, change points since ${humanTime(doc.since)}, generated ${humanTime(doc.generatedAt)} (docs/changes.md).</p>`,
    renderFactsHeader(doc.systems),
    timelines,
    renderChanges(series),
  ]);
}
