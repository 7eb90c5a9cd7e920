// The report's CSV (--format csv): its own module, so csv-stringify loads only when asked for.
import { stringify } from 'csv-stringify/sync';
import type { Row } from './wire.js';

/**
 * RFC 4180: CRLF between records; a field holding a comma, a quote, CR or LF quoted, its quotes
 * doubled (csv-stringify quotes a bare LF only when told: quoted_match). Text beginning with
 * = + - @ gets a leading ' so a spreadsheet shows it as text (OWASP "CSV injection"); numbers are
 * written as they are.
 */
export function toCsv(rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  return stringify(rows as Row[], {
    header: true,
    columns: Object.keys(rows[0]!),
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
    escape_formulas: true,
    cast: { boolean: (v: boolean) => String(v) },
  });
}
