// Drill-down: every fleet panel that shows an agent links to that agent's own dashboard (the
// per-guest dashboard), keeping the time range, the datasource and the group. Added to the
// generated JSON in one pass (generate.ts), so a new panel that groups by agent gets its link
// without anyone remembering to add it; generate.test.ts checks every link resolves.

/** The per-guest dashboard's uid (dashboards/guest.ts). */
export const GUEST_UID = 'virt-overhead-guest';

/** The parts of a generated dashboard this pass reads and writes. */
interface PanelJson {
  targets?: Array<{ query?: string; resultFormat?: string }>;
  fieldConfig?: { defaults?: { links?: DataLink[] }; overrides?: unknown[] };
}
interface DashboardJson {
  uid?: string;
  templating?: { list?: Array<{ name?: string }> };
  panels?: PanelJson[];
}
export interface DataLink {
  title: string;
  url: string;
  targetBlank: boolean;
}

/** Whether a query's rows or series carry the agent: it groups by the tag or selects it. */
export function showsAgent(query: string): boolean {
  // The outer query's GROUP BY, without time() and fill() (a subquery's grouping is not shown).
  let outer = query.replace(/(time|fill)\([^)]*\)/g, '');
  if (outer.includes('FROM (')) outer = outer.slice(outer.lastIndexOf(')'));
  const groupBy = / GROUP BY (.*?)(?: ORDER BY| LIMIT|$)/.exec(outer)?.[1] ?? '';
  return /"agent"/.test(groupBy) || /"agent"::tag/.test(outer);
}

/** The data link to the guest dashboard: `agent` is how the panel names the row's or series' agent. */
export function guestLink(agent: string, sourceVariables: ReadonlySet<string>): DataLink {
  const params = [
    `var-agent=${agent}`,
    ...['datasource', 'group'].filter((v) => sourceVariables.has(v)).map((v) => `\${${v}:queryparam}`),
    '${__url_time_range}',
  ];
  return { title: `${agent}: overhead over time, runs, facts, change points`, url: `/d/${GUEST_UID}/${GUEST_UID}?${params.join('&')}`, targetBlank: false };
}

/** Adds the guest link to every panel of `d` whose query shows an agent (not on the guest dashboard itself). */
export function addGuestLinks<D extends object>(dash: D): D {
  const d = dash as DashboardJson;
  if (d.uid === GUEST_UID) return dash;
  const variables = new Set((d.templating?.list ?? []).map((v) => v.name ?? ''));
  for (const p of d.panels ?? []) {
    const targets = p.targets ?? [];
    if (!targets.some((t) => showsAgent(String(t.query ?? '')))) continue;
    // Tables: the row's agent column; time series: the series' agent label.
    const agent = targets.every((t) => t.resultFormat === 'table') ? '${__data.fields.agent}' : '${__field.labels.agent}';
    p.fieldConfig ??= { defaults: {}, overrides: [] };
    p.fieldConfig.defaults ??= {};
    p.fieldConfig.defaults.links = [guestLink(agent, variables)];
  }
  return dash;
}
