// The overhead report: numbers from InfluxDB's `sysbench` measurement, as data, a terminal
// table and a self-contained HTML file.
//
// Stable API (the CLI `virt-overhead report` and the lab use it):
//   buildReport({ store, database, group?, since, metrics? }): Promise<Report>
//       store: where the results are read (collector/store: influxStore); since: a Date or milliseconds before now;
//       metrics: 'key' (default: each test's headline metrics) or 'all'.
//   buildSections(rows, { metrics?, sinceNs?, windowMs?, marginPct? }): ReportSection[] — from rows you have
//   formatReportTable(report): string                    — the terminal table (ends with '\n')
//   renderHtmlReport(report): string                     — one HTML file, inline SVG charts
// A Report holds sections (group × test × profile × threads); each has the reference (native
// baseline) system and, per metric, every system's latest run (mean, 95 % CI) and, for guests,
// the comparison engine's answer: ratio, overhead % with its CI, verdict, margin (docs/overhead.md).
export {
  buildReport,
  buildSections,
  type Report,
  type ReportSection,
  type ReportMetric,
  type SystemResult,
  type ReportSystem,
  type ReportComparison,
  type BuildReportOptions,
  type SectionOptions,
} from './build.js';
export { formatReportTable } from './table.js';
export { formatNoiseLines, noiseBySystem, type SystemNoise } from './noise.js';
export { renderHtmlReport } from './html.js';
