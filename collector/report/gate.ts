// The CI gate (--fail-on): which of the document's answers the user said should fail the job —
// a verdict of a guest against its baseline (or of variant B against A), or a change point of
// the period (any, or only regressions or improvements). The answers are the document's, as
// printed; the gate only picks them out.
import { VERDICTS, type Verdict } from '../../lib/compare/compare.js';
import { UsageError } from '../../lib/errors.js';
import type { ChangeReportSeries } from '../changes/report.js';
import { describeChange, seriesTitle } from '../changes/report.js';
import type { ReportDocument, ReportKind } from './document.js';
import { fmtVerdict, sectionTitle } from './format.js';

/** Change-point kinds (overhead_change's `kind` tag), and `change` for either. */
export const CHANGE_KINDS = ['change', 'regression', 'improvement'] as const;
export const FAIL_ON_VALUES: readonly string[] = [...VERDICTS, ...CHANGE_KINDS];

const isVerdict = (v: string): v is Verdict => (VERDICTS as readonly string[]).includes(v);

/** Refuses --fail-on values the report kind cannot answer (a change report has no verdicts; a variant A/B no change points). */
export function checkFailOn(kind: ReportKind, values: readonly string[]): void {
  const verdicts = values.filter(isVerdict);
  const changes = values.filter((v) => !isVerdict(v));
  if (kind === 'changes' && verdicts.length)
    throw new UsageError(`--fail-on ${verdicts.join(',')}: --changes finds change points, not verdicts; with --changes it takes ${CHANGE_KINDS.join(', ')}`);
  if (kind === 'compare' && changes.length)
    throw new UsageError(`--fail-on ${changes.join(',')}: --compare gives verdicts, not change points; with --compare it takes ${VERDICTS.join(', ')}`);
}

function changeFindings(series: readonly ChangeReportSeries[], failOn: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of series)
    for (const c of s.changes) if (failOn.includes('change') || failOn.includes(c.tags.kind ?? '')) out.push(`${seriesTitle(s)}: ${describeChange(c)}`);
  return out;
}

/** One line per answer that matched --fail-on (empty: the gate passes). */
export function gateFindings(doc: ReportDocument, failOn: readonly string[]): string[] {
  const verdicts = new Set(failOn.filter(isVerdict));
  const out: string[] = [];
  switch (doc.kind) {
    case 'overhead':
      for (const s of doc.report.sections)
        for (const m of s.metrics)
          for (const r of m.results) {
            const c = r.vsReference;
            if (c && verdicts.has(c.verdict)) out.push(`${sectionTitle(s)} · ${m.metric} · ${r.system.label}: ${fmtVerdict(c)}`);
          }
      if (doc.changes) out.push(...changeFindings(doc.changes, failOn));
      break;
    case 'changes':
      out.push(...changeFindings(doc.series, failOn));
      break;
    case 'compare':
      for (const { test, comparison: v } of doc.comparisons)
        if (verdicts.has(v.comparison.verdict))
          out.push(`${test} · ${v.metric} · ${v.virt}, ${v.profile}: ${doc.variantB} vs ${doc.variantA}: ${fmtVerdict(v.comparison)}`);
      break;
  }
  return out;
}
