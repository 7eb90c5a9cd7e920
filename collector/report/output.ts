// The report document in each --format: the terminal table, the versioned JSON envelope, JSON
// lines, CSV (RFC 4180) and markdown (for a pull request or a wiki page), as hyperfine exports
// --export-json/-csv/-markdown. The numbers are the document's: nothing is computed here.
import { describeChange, formatChangesReport, seriesTitle } from '../changes/report.js';
import { formatChainReport } from './chain/format.js';
import { formatWrongClocks } from './clocks.js';
import type { ReportDocument } from './document.js';
import { factCells, formatSystems, type SystemFacts } from './facts.js';
import { sectionTitle } from './format.js';
import { formatReportTable, metricBlock } from './table.js';
import { formatVariantTable, variantCells } from './variants.js';
import { envelope, flatRows, ROW_KIND, SCHEMA_VERSION } from './wire.js';

export const FORMATS = ['table', 'json', 'jsonl', 'csv', 'markdown'] as const;
export type ReportFormat = (typeof FORMATS)[number];

function table(doc: ReportDocument): string {
  switch (doc.kind) {
    case 'overhead':
      return formatReportTable(doc.report, doc.systems) + formatChainReport(doc.chains) + formatWrongClocks(doc.wrongClocks);
    case 'changes':
      return (doc.systems.length ? formatSystems(doc.systems) + '\n' : '') + formatChangesReport(doc.series);
    case 'compare':
      return formatVariantTable(doc.comparisons, doc.variantA, doc.variantB);
  }
}

function jsonLines(doc: ReportDocument): string {
  return flatRows(doc)
    .map((r) => JSON.stringify({ schema_version: SCHEMA_VERSION, kind: ROW_KIND[doc.kind], ...r }) + '\n')
    .join('');
}

/** A markdown table cell: no column break, no line break, no raw HTML (a kernel string is anyone's text). */
function mdCell(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br>');
}

function mdTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- |').join('')}`, ...rows.map(line)].join('\n') + '\n';
}

function mdSystems(systems: readonly SystemFacts[]): string {
  if (systems.length === 0) return '';
  const header = ['system', ...factCells(systems[0]!).map(([k]) => k)];
  return `## Systems\n\n${mdTable(
    header,
    systems.map((s) => [s.label, ...factCells(s).map(([, v]) => v)]),
  )}\n`;
}

function markdown(doc: ReportDocument): string {
  const scope = `database ${doc.database}${doc.group !== null ? ` · group ${doc.group}` : ''} · since ${doc.since} · generated ${doc.generatedAt}`;
  const out: string[] = [];
  switch (doc.kind) {
    case 'overhead':
      out.push(`# Virtualization overhead\n\n${mdCell(scope)}\n`, mdSystems(doc.systems));
      for (const s of doc.report.sections) {
        out.push(`## ${mdCell(sectionTitle(s))}\n\n${s.reference ? `Baseline: ${mdCell(s.reference.label)}` : 'No baseline in this group: no ratios.'}\n`);
        for (const m of s.metrics) {
          const [head, ...rows] = metricBlock(s, m);
          out.push(
            mdTable(
              head!,
              rows.map((r) => [r[0]!.trim(), ...r.slice(1)]),
            ),
          );
        }
      }
      break;
    case 'changes':
      out.push(`# Change points of the overhead\n\n${mdCell(scope)}\n`, mdSystems(doc.systems));
      out.push(
        mdTable(
          ['series', 'runs', 'change'],
          doc.series.flatMap((s) =>
            s.tooShort
              ? [[seriesTitle(s), String(s.runs), `too short to decide (needs ${s.tooShort.needed})`]]
              : s.changes.length === 0
                ? [[seriesTitle(s), String(s.runs), 'no change']]
                : s.changes.map((c) => [seriesTitle(s), String(s.runs), describeChange(c)]),
          ),
        ),
      );
      break;
    case 'compare': {
      out.push(`# Variant ${mdCell(doc.variantB)} against ${mdCell(doc.variantA)}\n\n${mdCell(scope)}\n`);
      const { header, body } = variantCells(doc.comparisons, doc.variantA, doc.variantB);
      out.push(mdTable(header, body));
      break;
    }
  }
  return out.filter(Boolean).join('\n');
}

/**
 * The document in one format (ends with a newline; '' for an empty document in a row format).
 * Async so csv-stringify (~20 ms of a start) loads only for --format csv (test/cli-lazy.test.ts).
 */
export async function renderDocument(doc: ReportDocument, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'table':
      return table(doc);
    case 'json':
      return JSON.stringify(envelope(doc), null, 2) + '\n';
    case 'jsonl':
      return jsonLines(doc);
    case 'csv':
      return (await import('./csv.js')).toCsv(flatRows(doc));
    case 'markdown':
      return markdown(doc);
  }
}
