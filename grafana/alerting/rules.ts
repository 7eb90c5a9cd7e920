// Alert rules for overhead regressions, built with the SDK's alerting types and written in
// Grafana's unified-alerting FILE provisioning format (grafana/provisioning/alerting/).
import * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import * as expr from '@grafana/grafana-foundation-sdk/expr';
import { PROVISIONED_DATASOURCE } from '../datasource.js';
import { as, count, from, last, mean } from '../influxql.js';

export const ALERT_FOLDER = 'virt-overhead';
export const ALERT_GROUP = 'overhead-regressions';
const EXPR = { type: '__expr__', uid: '__expr__' };
const HOUR = 3600;

/** Mean overhead per guest, test and metric inside the rule's relative time range. */
export const recentOverhead = from('overhead')
  .select(as(mean('overhead_pct'), 'overhead_pct'))
  .whereTimeFilter()
  .groupBy('group', 'agent', 'test', 'metric', 'variant');

/** The lower end of the latest confidence interval: above 0 means the overhead is real. */
export const latestCiLow = from('overhead')
  .select(as(last('ci_low_pct'), 'ci_low_pct'))
  .whereTimeFilter()
  .groupBy('group', 'agent', 'test', 'metric', 'variant');

/**
 * Guest regressions among the change points (docs/changes.md) in the rule's time range. A
 * change point is stamped at the first run after the change and found some runs later, so the
 * range (2 days) covers the detection delay at 6-hourly runs; baseline changes do not count.
 */
export const newRegressions = from('overhead_change')
  .select(as(count('change_pct'), 'regressions'))
  .whereTimeFilter()
  .whereTag('kind', '=', 'regression')
  .whereTag('cause', '=', 'guest')
  .groupBy('group', 'agent', 'test', 'metric');

/**
 * The latest point's `worse_by_pct`: > 0 exactly when its stored verdict is `worse` (the collector
 * writes it beside the verdict, docs/schema.md), and numeric, so a rule can reduce and compare it.
 * The overhead-level alerts fire on `worse` only, never on `inconclusive` noise.
 */
export const latestWorseBy = from('overhead')
  .select(as(last('worse_by_pct'), 'worse_by'))
  .whereTimeFilter()
  .groupBy('group', 'agent', 'test', 'metric', 'variant');

/** Agents whose newest silence check says silent (docs/schema.md `agent_silence`). */
export const silentAgents = from('agent_silence')
  .select(as(last('silent'), 'silent'))
  .whereTimeFilter()
  .groupBy('group', 'agent');

/** Provisioned alert rules cannot use the dashboards' `datasource` variable: they name the provisioned uid. */
function influxQuery(refId: string, q: Pick<typeof recentOverhead, 'target'>, fromSeconds: number): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId)
    .datasourceUid(PROVISIONED_DATASOURCE.uid)
    .relativeTimeRange({ from: fromSeconds, to: 0 })
    .model(q.target(refId, { datasource: PROVISIONED_DATASOURCE }));
}

function reduce(refId: string, of: string): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId)
    .datasourceUid('__expr__')
    .model(new expr.TypeReduceBuilder().refId(refId).datasource(EXPR).expression(of).reducer('last').settings({ mode: 'dropNN' }));
}

function math(refId: string, expression: string): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId).datasourceUid('__expr__').model(new expr.TypeMathBuilder().refId(refId).datasource(EXPR).expression(expression));
}

function above(refId: string, of: string, value: number): alerting.QueryBuilder {
  return new alerting.QueryBuilder(refId).datasourceUid('__expr__').model(
    new expr.TypeThresholdBuilder()
      .refId(refId)
      .datasource(EXPR)
      .expression(of)
      .conditions([{ evaluator: { type: 'gt', params: [value] } }]),
  );
}

/** A warning that fires at once when the last value of `q` in the range is above 0, per series. */
function firesAboveZero(
  title: string,
  uid: string,
  q: Parameters<typeof influxQuery>[1],
  rangeSeconds: number,
  annotations: Record<string, string>,
): alerting.RuleBuilder {
  return new alerting.RuleBuilder(title)
    .uid(uid)
    .ruleGroup(ALERT_GROUP)
    .folderUID(ALERT_FOLDER)
    .orgID(1)
    .withQuery(influxQuery('A', q, rangeSeconds))
    .withQuery(reduce('B', 'A'))
    .withQuery(above('C', 'B', 0))
    .condition('C')
    .forDuration('0s')
    .noDataState('OK')
    .execErrState('Error')
    .labels({ severity: 'warning', team: 'virt-overhead' })
    .annotations(annotations);
}

export interface RuleThresholds {
  /** Alert when the last 6 h's overhead exceeds the 7-day mean by this many points. */
  regressionPoints: number;
  /** Alert when the CI's lower end is above this overhead (%): a sure, large overhead. */
  ciLowPct: number;
}
export const DEFAULT_THRESHOLDS: RuleThresholds = { regressionPoints: 10, ciLowPct: 50 };

export function overheadRules(t: RuleThresholds = DEFAULT_THRESHOLDS): alerting.Rule[] {
  const regression = new alerting.RuleBuilder('Overhead regression against the 7-day mean')
    .uid('virt-overhead-regression')
    .ruleGroup(ALERT_GROUP)
    .folderUID(ALERT_FOLDER)
    .orgID(1)
    .withQuery(influxQuery('A', recentOverhead, 6 * HOUR))
    .withQuery(influxQuery('B', recentOverhead, 7 * 24 * HOUR))
    .withQuery(reduce('C', 'A'))
    .withQuery(reduce('D', 'B'))
    .withQuery(math('E', '$C - $D'))
    .withQuery(influxQuery('G', latestWorseBy, 6 * HOUR))
    .withQuery(reduce('H', 'G'))
    // Risen by the threshold AND the latest verdict is `worse`: drift inside the margin never pages.
    .withQuery(math('F', `($E > ${t.regressionPoints}) && ($H > 0)`))
    .condition('F')
    .forDuration('30m')
    .noDataState('OK')
    .execErrState('Error')
    .labels({ severity: 'warning', team: 'virt-overhead' })
    .annotations({
      summary: `Overhead of {{ $labels.agent }} on {{ $labels.test }} ({{ $labels.metric }}) rose more than ${t.regressionPoints} points above its 7-day mean`,
      description: 'Last 6 h mean overhead minus 7-day mean overhead = {{ $values.E }} points.',
    });
  const sureLarge = new alerting.RuleBuilder('Large overhead, confidence interval above threshold')
    .uid('virt-overhead-ci-above')
    .ruleGroup(ALERT_GROUP)
    .folderUID(ALERT_FOLDER)
    .orgID(1)
    .withQuery(influxQuery('A', latestCiLow, 24 * HOUR))
    .withQuery(reduce('B', 'A'))
    .withQuery(influxQuery('D', latestWorseBy, 24 * HOUR))
    .withQuery(reduce('E', 'D'))
    .withQuery(math('C', `($B > ${t.ciLowPct}) && ($E > 0)`))
    .condition('C')
    .forDuration('1h')
    .noDataState('OK')
    .execErrState('Error')
    .labels({ severity: 'info', team: 'virt-overhead' })
    .annotations({
      summary: `{{ $labels.agent }} is at least ${t.ciLowPct} % slower than its baseline on {{ $labels.test }} ({{ $labels.metric }}) with 95 % confidence`,
    });
  const changePoint = firesAboveZero('Overhead regression: change point', 'virt-overhead-change-point', newRegressions, 48 * HOUR, {
    summary:
      'The overhead of {{ $labels.agent }} on {{ $labels.test }} ({{ $labels.metric }}) shifted up: a significant, persistent change (E-divisive, p < 0.001)',
    description:
      'See `virt-overhead report --changes --group {{ $labels.group }}` or the "Change points" annotations on the Overview dashboard for before/after, the runs and the facts that changed.',
  });
  const worse = firesAboveZero('Guest worse than its baseline (verdict worse)', 'virt-overhead-worse', latestWorseBy, 24 * HOUR, {
    summary: '{{ $labels.agent }} is worse than its baseline on {{ $labels.test }} ({{ $labels.metric }}): the 95 % interval lies above the margin',
    description: 'Lower end of the interval minus the margin = {{ $values.B }} points (verdict worse; docs/overhead.md).',
  });
  const silent = firesAboveZero('Agent silent', 'virt-overhead-agent-silent', silentAgents, 15 * 60, {
    summary: "{{ $labels.agent }} (group {{ $labels.group }}) sent no heartbeat for longer than the collector's --silence-after",
    description: 'See the Agent health dashboard (Silent agents). With no agent_silence points at all, the collector is not running its checks.',
  })
    // No silence checks at all means the collector itself is down: that is an alert too.
    .noDataState('Alerting');
  return [regression.build(), sureLarge.build(), changePoint.build(), worse.build(), silent.build()];
}

/** The panel each rule is about: its alert links there (`__dashboardUid__`, `__panelId__`). */
export const RULE_PANELS: Record<string, { dashboard: string; panel: string }> = {
  'virt-overhead-regression': { dashboard: 'virt-overhead-overview', panel: 'Overhead against the baseline (%)' },
  'virt-overhead-ci-above': { dashboard: 'virt-overhead-overview', panel: 'Current overhead' },
  'virt-overhead-change-point': { dashboard: 'virt-overhead-overview', panel: 'Overhead against the baseline (%)' },
  'virt-overhead-worse': { dashboard: 'virt-overhead-overview', panel: 'Current overhead' },
  'virt-overhead-agent-silent': { dashboard: 'virt-overhead-agent-health', panel: 'Silent agents' },
};

/** Where a rule's links point: ids of generated panels, and its runbook (a section titled like the rule). */
export interface RuleLinks {
  panelId(dashboardUid: string, panelTitle: string): number;
  runbookUrl(ruleTitle: string): string;
}

/** Adds runbook_url and the dashboard/panel link to every rule's annotations. */
export function withLinks(rules: alerting.Rule[], links: RuleLinks): alerting.Rule[] {
  return rules.map((r) => {
    const target = RULE_PANELS[r.uid ?? ''];
    if (!target) throw new Error(`alert rule ${r.uid} has no panel in RULE_PANELS`);
    return {
      ...r,
      annotations: {
        ...r.annotations,
        runbook_url: links.runbookUrl(r.title),
        __dashboardUid__: target.dashboard,
        __panelId__: String(links.panelId(target.dashboard, target.panel)),
      },
    };
  });
}

/** Grafana's file provisioning shape (apiVersion 1, groups with a folder title, orgId). */
export function provisioningFile(rules: alerting.Rule[], intervalMinutes = 5): unknown {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: ALERT_GROUP,
        folder: ALERT_FOLDER,
        interval: `${intervalMinutes}m`,
        rules: rules.map((r) => ({
          uid: r.uid,
          title: r.title,
          condition: r.condition,
          // The JSON round trip drops the builders' marker methods.
          data: JSON.parse(JSON.stringify(r.data)),
          noDataState: r.noDataState,
          execErrState: r.execErrState,
          for: r.for,
          annotations: r.annotations,
          labels: r.labels,
          isPaused: false,
        })),
      },
    ],
  };
}
