// A small typed InfluxQL builder for Grafana targets. The foundation SDK has no InfluxDB
// query type, so this follows its custom-query pattern: a cog.Builder<cog.Dataquery> whose
// SELECT / WHERE / GROUP BY pieces only accept the measurement's own tag and field names
// (schema/influx.ts, the contract docs/schema.md describes): a typo in a dashboard is a compile error.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { FieldOf, Measurement, TagOf } from '../schema/influx.js';
import { quoteIdent, quoteString } from '../schema/influxql.js';
import { measurementRef } from '../schema/retention.js';
import { INFLUX_DATASOURCE } from './datasource.js';

/** Template variables the dashboards define; `whereVar` only accepts these. */
export type VariableName = 'group' | 'agent' | 'virt' | 'test' | 'variant' | 'metric' | 'field';

/** An expression over columns `C` (fields of a measurement, or aliases of a subquery). */
export interface Expr<C extends string> {
  readonly sql: string;
  /** Phantom: the columns the expression reads, so select() can reject foreign names. */
  readonly _columns?: C;
}

/** One SELECT item; `A` is its output column name. */
export interface Selection<C extends string, A extends string> {
  readonly sql: string;
  readonly column: A;
  readonly _columns?: C;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function col<C extends string>(name: C): Expr<C> {
  return { sql: quoteIdent(name) };
}
export function num(value: number): Expr<never> {
  if (!Number.isFinite(value)) throw new Error(`InfluxQL number literal must be finite, got ${value}`);
  return { sql: String(value) };
}

export type Aggregate = 'mean' | 'median' | 'min' | 'max' | 'last' | 'first' | 'count' | 'stddev' | 'sum' | 'spread';
export function agg<C extends string>(fn: Aggregate, e: Expr<C>): Expr<C> {
  return { sql: `${fn}(${e.sql})` };
}
export const mean = <C extends string>(e: Expr<C> | C): Expr<C> => agg('mean', toExpr(e));
export const last = <C extends string>(e: Expr<C> | C): Expr<C> => agg('last', toExpr(e));
export const count = <C extends string>(e: Expr<C> | C): Expr<C> => agg('count', toExpr(e));
export const stddev = <C extends string>(e: Expr<C> | C): Expr<C> => agg('stddev', toExpr(e));
export const max = <C extends string>(e: Expr<C> | C): Expr<C> => agg('max', toExpr(e));
export const min = <C extends string>(e: Expr<C> | C): Expr<C> => agg('min', toExpr(e));
export const sum = <C extends string>(e: Expr<C> | C): Expr<C> => agg('sum', toExpr(e));
/** `top(field, n)`: a selector; the other fields a query selects beside it are those of its point. */
export const top = <C extends string>(e: Expr<C> | C, n: number): Expr<C> => {
  if (!Number.isInteger(n) || n < 1) throw new Error(`top() keeps a positive whole number of points, got ${n}`);
  return { sql: `top(${toExpr(e).sql}, ${n})` };
};
export const sqrt = <C extends string>(e: Expr<C>): Expr<C> => ({ sql: `sqrt(${e.sql})` });

function toExpr<C extends string>(e: Expr<C> | C): Expr<C> {
  return typeof e === 'string' ? col(e) : e;
}

/** Arithmetic: `math\`${a} / (100 + ${b})\`` keeps each operand's column type. */
export function math<C extends string>(strings: TemplateStringsArray, ...parts: Array<Expr<C>>): Expr<C> {
  let sql = strings[0]!;
  parts.forEach((p, i) => (sql += p.sql + strings[i + 1]!));
  return { sql: `(${sql})` };
}

export function as<C extends string, A extends string>(e: Expr<C> | C, alias: A): Selection<C, A> {
  if (!IDENT.test(alias)) throw new Error(`alias '${alias}' must be a plain identifier (letters, digits, _)`);
  return { sql: `${toExpr(e).sql} AS ${quoteIdent(alias)}`, column: alias };
}

export type ResultFormat = 'time_series' | 'table' | 'logs';
export type Fill = 'none' | 'null' | 'previous' | 'linear' | number;
type Op = '=' | '!=' | '=~' | '!~' | '>' | '>=' | '<' | '<=';

/** The target Grafana's InfluxDB datasource stores for a raw InfluxQL query. */
export interface InfluxQuery extends cog.Dataquery {
  refId: string;
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  alias?: string;
  hide?: boolean;
  datasource?: { type: string; uid: string };
}

interface Source {
  sql: string;
  /** The measurement the rows come from (a subquery's innermost one). */
  measurement: Measurement;
}

/**
 * A SELECT over measurement M whose readable columns are C and tags T. `from()` starts one on
 * a measurement; `fromSubquery()` on the aliases of an inner query.
 */
export class InfluxQLBuilder<M extends Measurement, C extends string, T extends string, Out extends string = never> {
  private readonly selections: string[] = [];
  private readonly outputs: string[] = [];
  private readonly conditions: string[] = [];
  private time: string | null = null;
  private readonly tags: string[] = [];
  private fillValue: Fill | null = null;
  private limitValue: number | null = null;
  private orderDesc = false;

  constructor(private readonly source: Source) {}

  get measurement(): M {
    return this.source.measurement as M;
  }

  select<A extends string>(...items: Array<Selection<C, A> | Expr<C>>): InfluxQLBuilder<M, C, T, Out | A> {
    for (const item of items) {
      this.selections.push(item.sql);
      if ('column' in item) this.outputs.push(item.column);
    }
    return this as unknown as InfluxQLBuilder<M, C, T, Out | A>;
  }

  /** Tag values as columns of a raw (non-aggregate) SELECT: `"agent"::tag`. */
  selectTags<A extends T>(...tags: A[]): InfluxQLBuilder<M, C, T, Out | A> {
    for (const tag of tags) {
      this.selections.push(`${quoteIdent(tag)}::tag`);
      this.outputs.push(tag);
    }
    return this as unknown as InfluxQLBuilder<M, C, T, Out | A>;
  }

  /** Grafana's `$timeFilter`: the dashboard's time range. */
  whereTimeFilter(): this {
    this.conditions.push('$timeFilter');
    return this;
  }
  /**
   * For a daily rollup (a point per UTC day, at the day's start): the dashboard's range widened to
   * whole UTC days, so the day the range starts in is shown whole instead of left out.
   */
  whereWholeDays(): this {
    this.conditions.push('time > ${__from}ms - 1d AND time <= ${__to}ms');
    return this;
  }
  /** `"tag" =~ /^$var$/`: how Grafana's InfluxDB datasource expands multi-value and All. */
  whereVar(tag: T, variable: VariableName): this {
    this.conditions.push(`${quoteIdent(tag)} =~ /^$${variable}$/`);
    return this;
  }
  /** whereVar for each tag whose template variable has the tag's name, in the order given. */
  whereVars(...tags: Array<T & VariableName>): this {
    for (const tag of tags) this.whereVar(tag, tag);
    return this;
  }
  whereTag(tag: T, op: '=' | '!=', value: string): this {
    this.conditions.push(`${quoteIdent(tag)} ${op} ${quoteString(value)}`);
    return this;
  }
  whereField(field: C, op: Op, value: number | boolean | string): this {
    const lit = typeof value === 'string' ? quoteString(value) : String(value);
    this.conditions.push(`${quoteIdent(field)} ${op} ${lit}`);
    return this;
  }
  /** A field holding a time in ms within the dashboard's range (Grafana's `${__from}` and `${__to}`). */
  whereFieldInRange(field: C): this {
    this.conditions.push(`${quoteIdent(field)} >= \${__from} AND ${quoteIdent(field)} <= \${__to}`);
    return this;
  }
  groupByTime(interval: '$__interval' | `${number}${'s' | 'm' | 'h' | 'd'}`): this {
    this.time = `time(${interval})`;
    return this;
  }
  groupBy(...tags: T[]): this {
    this.tags.push(...tags.map(quoteIdent));
    return this;
  }
  fill(value: Fill): this {
    this.fillValue = value;
    return this;
  }
  limit(n: number): this {
    this.limitValue = n;
    return this;
  }
  orderByTimeDesc(): this {
    this.orderDesc = true;
    return this;
  }

  /** Output column names a panel can refer to. */
  columns(): Out[] {
    return [...this.outputs] as Out[];
  }

  toString(): string {
    if (this.selections.length === 0) throw new Error(`query on ${this.source.measurement} selects nothing`);
    let q = `SELECT ${this.selections.join(', ')} FROM ${this.source.sql}`;
    if (this.conditions.length > 0) q += ` WHERE ${this.conditions.join(' AND ')}`;
    const groups = [...(this.time ? [this.time] : []), ...this.tags];
    if (groups.length > 0) q += ` GROUP BY ${groups.join(', ')}`;
    if (this.fillValue !== null) q += ` fill(${this.fillValue})`;
    if (this.orderDesc) q += ' ORDER BY time DESC';
    if (this.limitValue !== null) q += ` LIMIT ${this.limitValue}`;
    return q;
  }

  /** The source clause for an outer query reading this one's aliases. */
  asSource(): Source {
    return { sql: `(${this.toString()})`, measurement: this.source.measurement };
  }

  /** `datasource`: the dashboards' variable by default; alert rules pass the provisioned one. */
  target(refId: string, opts: { format?: ResultFormat; alias?: string; datasource?: { type: string; uid: string } } = {}): InfluxTargetBuilder {
    return new InfluxTargetBuilder(refId, this.toString(), opts.format ?? 'time_series', opts.alias, opts.datasource);
  }
}

export function from<M extends Measurement>(measurement: M): InfluxQLBuilder<M, FieldOf<M>, TagOf<M>> {
  return new InfluxQLBuilder({ sql: measurementRef(measurement), measurement });
}

/** An outer query over an inner one: it may read the inner aliases and group by its tags. */
export function fromSubquery<M extends Measurement, Out extends string, T extends string>(
  inner: InfluxQLBuilder<M, string, T, Out>,
): InfluxQLBuilder<M, Out, T> {
  return new InfluxQLBuilder(inner.asSource());
}

/** cog.Builder producing the datasource's target object. */
export class InfluxTargetBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly refId: string,
    private readonly query: string,
    private readonly format: ResultFormat,
    private readonly aliasText?: string,
    private readonly datasource: { type: string; uid: string } = INFLUX_DATASOURCE,
  ) {}

  build(): InfluxQuery {
    const q: InfluxQuery = {
      refId: this.refId,
      datasource: { ...this.datasource },
      query: this.query,
      rawQuery: true,
      resultFormat: this.format,
      _implementsDataqueryVariant() {},
    };
    if (this.aliasText !== undefined) q.alias = this.aliasText;
    return q;
  }
}

/** `SHOW TAG VALUES` for a template variable, optionally narrowed by earlier variables. */
export function showTagValues<M extends Measurement>(measurement: M, key: TagOf<M>, narrowBy: Array<[TagOf<M>, VariableName]> = []): string {
  let q = `SHOW TAG VALUES FROM ${measurementRef(measurement)} WITH KEY = ${quoteIdent(key)}`;
  if (narrowBy.length > 0) q += ` WHERE ${narrowBy.map(([tag, v]) => `${quoteIdent(tag)} =~ /^$${v}$/`).join(' AND ')}`;
  return q;
}

/**
 * A column chosen by a single-valued custom variable whose options are field names of the
 * measurement (e.g. `$field` listing RESULT_FIELDS). Grafana substitutes the name. With a
 * `suffix` (a rollup's `_sum`), `"${field}_sum"`: Grafana reads `$field_sum` as a variable of that name.
 */
export function variableColumn<C extends string>(variable: VariableName, suffix = ''): Expr<C> {
  if (suffix && !/^\w+$/.test(suffix)) throw new Error(`column suffix '${suffix}' must be word characters`);
  return { sql: suffix ? `"\${${variable}}${suffix}"` : `"$${variable}"` };
}
