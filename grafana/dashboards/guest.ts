// One guest: its overhead over time per test and metric with the 95 % interval, its runs, its
// facts and its change points. Every fleet panel that shows an agent links here (links.ts)
// with the agent, the group, the datasource and the time range.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { changeAnnotation, runAnnotation } from '../annotations.js';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { factsChangedAnnotation, factsTable, newestFacts } from '../facts.js';
import { GUEST_UID } from '../links.js';
import { as, col, from, mean } from '../influxql.js';
import { overheadTimeseries } from '../panels.js';
import { metricVariable, singleAgentVariable, tagVariable } from '../variables.js';

/** The guest's overhead and its interval, per test and metric. */
export const guestOverhead = from('overhead')
  .select(as(mean('overhead_pct'), 'overhead_pct'), as(mean('ci_low_pct'), 'ci_low_pct'), as(mean('ci_high_pct'), 'ci_high_pct'))
  .whereTimeFilter()
  .whereVars('group', 'agent', 'test', 'metric')
  .groupByTime('$__interval')
  .groupBy('test', 'metric')
  .fill('none');

/** Every trial of the guest in the range, newest first. */
export const guestRuns = from('sysbench')
  .select(
    as(col('run_id'), 'run_id'),
    as(col('trial'), 'trial'),
    as(col('ok'), 'ok'),
    as(col('total_time_s'), 'total_time_s'),
    as(col('events_per_sec'), 'events_per_sec'),
  )
  .selectTags('test', 'variant', 'profile')
  .whereTimeFilter()
  .whereVars('group', 'agent', 'test')
  .orderByTimeDesc()
  .limit(500);

export const guestFacts = newestFacts().whereVars('group', 'agent');

/** The guest's change points in the range (docs/changes.md). */
export const guestChanges = from('overhead_change')
  .select(
    as(col('before_pct'), 'before_pct'),
    as(col('after_pct'), 'after_pct'),
    as(col('change_pct'), 'change_pct'),
    as(col('p_value'), 'p_value'),
    as(col('facts_changed'), 'facts_changed'),
    as(col('summary'), 'summary'),
  )
  .selectTags('test', 'metric', 'kind', 'cause')
  .whereTimeFilter()
  .whereVars('group', 'agent', 'test', 'metric')
  .orderByTimeDesc()
  .limit(200);

function overheadPanel(): timeseries.PanelBuilder {
  return (
    overheadTimeseries(
      'Overhead of $agent against its baseline (%), with the 95 % interval',
      "Per test and metric: the overhead (solid) and the ends of its 95 % confidence interval (dashed). Positive = slower than the group's baseline. Markers: runs, change points, facts that changed.",
      guestOverhead.target('A', { alias: '$tag_test · $tag_metric · $col' }),
    )
      // The interval's ends: thin dashed lines beside the overhead.
      .overrideByRegexp('.*ci_(low|high)_pct', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [6, 4] } },
        { id: 'custom.lineWidth', value: 1 },
        { id: 'custom.showPoints', value: 'never' },
      ])
      .height(10)
      .span(24)
  );
}

function runsTable(): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Runs of $agent')
    .description('Every trial in the range, newest first (at most 500): its run, test, variant, profile, whether it completed, and two headline numbers.')
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(guestRuns.target('A', { format: 'table' }))
    .overrideByName('total_time_s', [{ id: 'unit', value: 's' }])
    .noValue('-')
    .height(9)
    .span(24);
}

function changesTable(): table.PanelBuilder {
  return new table.PanelBuilder()
    .title('Change points of $agent')
    .description(
      'When the overhead series of this guest shifted (E-divisive, docs/changes.md): before → after, the change and its p-value, and the facts that changed across it. Empty: no significant, persistent change in the range.',
    )
    .datasource({ ...INFLUX_DATASOURCE })
    .withTarget(guestChanges.target('A', { format: 'table' }))
    .overrideByRegexp('(before|after|change)_pct', [{ id: 'unit', value: 'percent' }])
    .noValue('-')
    .height(7)
    .span(24);
}

export function guestDashboard(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('virt-overhead: Guest')
    .uid(GUEST_UID)
    .tags(['virt-overhead'])
    .description('One guest: its overhead over time, its runs, its facts and its change points. Reached from every fleet panel that shows an agent.')
    .editable()
    .time({ from: 'now-30d', to: 'now' })
    .refresh('5m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .annotation(runAnnotation())
    .annotation(changeAnnotation())
    .annotation(factsChangedAnnotation());
  builder
    .withVariable(tagVariable('group', 'Group', 'sysbench', 'group', []))
    .withVariable(singleAgentVariable())
    .withVariable(tagVariable('test', 'Test', 'overhead', 'test', [['agent', 'agent']]))
    .withVariable(metricVariable());
  return builder
    .withRow(new dashboard.RowBuilder('Overhead over time'))
    .withPanel(overheadPanel())
    .withRow(new dashboard.RowBuilder('What it is'))
    .withPanel(
      factsTable(
        'Facts of $agent',
        "Its newest report: OS, kernel, CPU, memory, agent, sysbench and QEMU versions and declared facts. unknown: not reported (an older agent, or no QEMU declared). The 'Facts changed' markers show when any of them changed.",
        guestFacts,
      )
        .height(5)
        .span(24),
    )
    .withRow(new dashboard.RowBuilder('Change points'))
    .withPanel(changesTable())
    .withRow(new dashboard.RowBuilder('Runs'))
    .withPanel(runsTable());
}
