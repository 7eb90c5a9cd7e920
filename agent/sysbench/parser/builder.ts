// Mutable state of one sysbench invocation while its lines are read, and the rules that turn
// it into the public Invocation shape (ok/phase decisions live here, in one place).
import { isTestName, RESULT_FIELDS, type IntervalFields, type Invocation, type ResultFields, type TestName } from '../fields.js';

export type Phase = Invocation['phase'];

export class InvocationBuilder {
  version: string | null = null;
  hasHeader = false;
  /** test named by the output itself (strongest evidence) */
  outputTest: TestName | null = null;
  /** test named on a logged command line (`sysbench --test=cpu run`) */
  commandTest: TestName | null = null;
  commandPhase: Phase | null = null;
  outputPhase: Phase | null = null;
  threads: number | null = null;
  errors: string[] = [];
  warnings: string[] = [];
  fields: ResultFields = {};
  /** Printing step of each field set with one (see printedStep). */
  resolution: Partial<Record<keyof ResultFields, number>> = {};
  intervals: IntervalFields[] = [];
  /** report sections already seen; seeing one again means a new (headerless) invocation */
  sections = new Set<string>();
  /** the final "Threads fairness" line was read: the report is complete */
  complete = false;
  /** prepare or cleanup printed its completion line */
  phaseDone = false;
  /** 0.4/0.5 prepare prints no completion line, only this announcement */
  sawCreatingFiles = false;
  started = false;

  /** Something sysbench printed (beyond a command line) belongs to this invocation. */
  hasContent(): boolean {
    return (
      this.hasHeader || this.started || this.errors.length > 0 || Object.keys(this.fields).length > 0 || this.intervals.length > 0 || this.outputPhase !== null
    );
  }

  /** `step`: the resolution the value was printed at, in the field's unit (issue 13: it travels with the value). */
  set(field: keyof ResultFields, value: number | undefined, step?: number): void {
    if (value === undefined || !Number.isFinite(value)) return;
    this.fields[field] = value;
    if (step !== undefined && step > 0) this.resolution[field] = step;
    // delete is a runtime call even for an absent key (latency_pct, set on every result, never has a step).
    else if (this.resolution[field] !== undefined) delete this.resolution[field];
  }

  setIfAbsent(field: keyof ResultFields, value: number | undefined, step?: number): void {
    if (this.fields[field] === undefined) this.set(field, value, step);
  }

  finish(): Invocation {
    const phase: Phase = this.outputPhase ?? this.commandPhase ?? 'run';
    const fields = this.cleanFields();
    const hasStats = Object.keys(fields).length > 0;
    let ok: boolean;
    if (this.errors.length > 0) ok = false;
    else if (phase === 'run') ok = hasStats;
    else ok = this.phaseDone || (phase === 'prepare' && this.sawCreatingFiles && (this.version ?? '').startsWith('0.'));
    const test = this.outputTest ?? this.commandTest;
    return {
      sysbench_version: this.version,
      test: test && isTestName(test) ? test : null,
      phase,
      threads: this.threads,
      ok,
      errors: this.errors,
      warnings: this.warnings,
      fields,
      resolution: this.cleanResolution(fields),
      intervals: this.intervals,
    };
  }

  /** The steps of the fields kept, in the order they were set (a loop: entries/filter/fromEntries cost ~8 % of a parse). */
  private cleanResolution(fields: ResultFields): Partial<Record<keyof ResultFields, number>> {
    const out: Partial<Record<keyof ResultFields, number>> = {};
    for (const k in this.resolution) {
      const field = k as keyof ResultFields;
      if (field in fields) out[field] = this.resolution[field];
    }
    return out;
  }

  private cleanFields(): ResultFields {
    const f: ResultFields = {};
    for (const name of RESULT_FIELDS) {
      const v = this.fields[name];
      if (v !== undefined && Number.isFinite(v)) f[name] = v;
    }
    // With zero events sysbench prints placeholders, not latencies (0.4: min 18446744073709.55ms,
    // avg/max 0.00): none of them measured anything.
    if (f.total_events === 0) {
      delete f.latency_min_ms;
      delete f.latency_avg_ms;
      delete f.latency_max_ms;
      delete f.latency_pct;
      delete f.latency_pct_ms;
    }
    if (f.latency_pct_ms === undefined) delete f.latency_pct;
    return f;
  }
}
