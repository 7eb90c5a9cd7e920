// Agent health: when each agent last reported, and its spool / drop / corrupt / reject
// counters (`agent_status` heartbeats), so a silent or losing agent is seen at once; what each
// agent runs on (the inventory, agent_info) and the collector's own health (collector_stats).
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { INFLUX_DATASOURCE } from '../datasource.js';
import { as, from, last, max } from '../influxql.js';
import { badAbove, FLEET_MAX_DATA_POINTS, WEEKLY_POINTS_NOTE, tableLegend } from '../panels.js';
import { statusVariables } from '../variables.js';
import { factsChangedAnnotation, factsTable, inventory } from '../facts.js';
import { collectorPanels } from './collector-health.js';

type Counter = 'spooled' | 'dropped' | 'corrupt' | 'rejected';
const COUNTERS: Counter[] = ['spooled', 'dropped', 'corrupt', 'rejected'];
const COUNTER_MEANING: Record<Counter, string> = {
  spooled: "Results waiting on the agent's disk.",
  dropped: 'Results lost because the spool was full.',
  corrupt: 'Spool records that failed their checksum.',
  rejected: 'Results the collector refused.',
};

function selectedStatus() {
  return from('agent_status').whereTimeFilter().whereVars('group', 'agent', 'virt', 'variant');
}

// A single selector keeps the point's own time: the Time column is "last seen".
export const lastSeen = selectedStatus()
  .select(as(last('state'), 'state'))
  .groupBy('group', 'agent', 'host', 'virt', 'kvm');

export const currentCounters = selectedStatus()
  .select(
    as(last('spooled'), 'spooled'),
    as(last('dropped'), 'dropped'),
    as(last('corrupt'), 'corrupt'),
    as(last('rejected'), 'rejected'),
    as(last('last_run_ok'), 'last_run_ok'),
  )
  .groupBy('agent');

/** Each agent's newest silence check (docs/schema.md `agent_silence`): red when silent. */
export const silence = from('agent_silence')
  .select(as(last('silent'), 'silent'), as(last('silent_s'), 'silent_s'), as(last('limit_s'), 'limit_s'))
  .whereTimeFilter()
  .whereVars('group', 'agent', 'virt', 'variant')
  .groupBy('group', 'agent');

export function counterSeries(counter: Counter) {
  return selectedStatus()
    .select(as(max(counter), counter))
    .groupByTime('$__interval')
    .groupBy('agent')
    .fill('none');
}

export function agentHealthDashboard(): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('virt-overhead: Agent health')
    .uid('virt-overhead-agent-health')
    .tags(['virt-overhead'])
    .description('Heartbeats of the agents: last seen, spool, dropped, corrupt and rejected results.')
    .editable()
    .time({ from: 'now-24h', to: 'now' })
    .refresh('30s')
    .annotation(factsChangedAnnotation());
  for (const v of statusVariables()) builder.withVariable(v);
  builder
    .withPanel(
      new table.PanelBuilder()
        .title('Silent agents')
        .description(
          'An agent is silent when its newest heartbeat is older than the collector\'s --silence-after (limit_s). Red: silent now (the "Agent silent" alert fires too).',
        )
        .datasource({ ...INFLUX_DATASOURCE })
        .withTarget(silence.target('A', { format: 'table' }))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
        .overrideByName('silent', [
          { id: 'thresholds', value: badAbove(1).build() },
          { id: 'custom.cellOptions', value: { type: 'color-background' } },
        ])
        .overrideByName('silent_s', [{ id: 'unit', value: 's' }])
        .overrideByName('limit_s', [{ id: 'unit', value: 's' }])
        .height(7)
        .span(24),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Last seen')
        .description('Time of the latest heartbeat of each agent and its state (idle, running, replaying).')
        .datasource({ ...INFLUX_DATASOURCE })
        .withTarget(lastSeen.target('A', { format: 'table' }))
        .withTransformation({ id: 'organize', options: { renameByName: { Time: 'last seen' } } })
        .overrideByName('last seen', [{ id: 'unit', value: 'dateTimeFromNow' }])
        .height(7)
        .span(12),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Counters now')
        .description(
          'spooled: results waiting on disk; dropped: lost because the spool was full; corrupt: spool records that failed their checksum; rejected: results the collector refused.',
        )
        .datasource({ ...INFLUX_DATASOURCE })
        .withTarget(currentCounters.target('A', { format: 'table' }))
        .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
        .overrideByRegexp('dropped|corrupt|rejected', [
          { id: 'thresholds', value: badAbove(1).build() },
          { id: 'custom.cellOptions', value: { type: 'color-text' } },
        ])
        .height(7)
        .span(12),
    );
  builder.withRow(new dashboard.RowBuilder('Inventory'));
  builder.withPanel(
    factsTable(
      'Inventory',
      "What each agent runs on, from its newest report (it reports at every connection; stored when something changed): OS, kernel, CPU, memory, agent, sysbench and QEMU versions, declared facts. 'facts since' is when they came into force; 'Last seen' above is its newest heartbeat. unknown: an older agent that did not report the fact.",
      inventory,
    )
      .height(8)
      .span(24),
  );
  builder.withRow(new dashboard.RowBuilder('Collector'));
  for (const p of collectorPanels()) builder.withPanel(p);
  builder.withRow(new dashboard.RowBuilder('Counters over time'));
  for (const c of COUNTERS) {
    builder.withPanel(
      new timeseries.PanelBuilder()
        .title(`${c} over time`)
        .description(`${COUNTER_MEANING[c]} One line per agent: its highest value in each interval. ${WEEKLY_POINTS_NOTE}`)
        .datasource({ ...INFLUX_DATASOURCE })
        .withTarget(counterSeries(c).target('A', { alias: '$tag_agent' }))
        .maxDataPoints(FLEET_MAX_DATA_POINTS)
        .unit('short')
        .decimals(0)
        .showPoints(common.VisibilityMode.Auto)
        .legend(tableLegend())
        .height(7)
        .span(12),
    );
  }
  return builder;
}
