// Silence is an alert (issue 14 item 6), through the real pipeline: a private influxd, a
// collector checking silence every second (limit 3 s), two real agents in daemon mode sending
// heartbeats every second. One is killed (by pid). Then the committed "Agent silent" alert
// rule's query and the health dashboard's "Silent agents" query must return the stopped agent
// as silent and the running one as not; collector_stats and the gRPC health service answer.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { influxClient } from '../collector/influx/client.js';
import { probeHealth } from '../collector/health/grpc.js';
import { interpolate } from '../grafana/interpolate.js';
import { runCli, startCli, type CliResult } from './support/cli.js';
import { measurementRef } from '../schema/retention.js';
import { VIRT_VALUES } from '../agent/detect/types.js';

/** agent_silence lives in the short retention policy (schema/retention.ts). */
const SILENCE = measurementRef('agent_silence');

const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'vo-silence-'));
const GROUP = 'silence';
let stack: LocalStack;
const agents: Array<ReturnType<typeof startCli>> = [];
type Row = Record<string, any>;

const daemon = (id: string) =>
  startCli([
    'agent',
    '--collector',
    stack.collectorAddress,
    '--interval',
    '1h',
    '--jitter',
    '0s',
    '--status-interval',
    '1s',
    '--profile',
    'quick',
    '--tests',
    'cpu',
    '--trials',
    '1',
    '--workdir',
    join(dir, id),
    '--agent-id',
    id,
    '--group',
    GROUP,
    '--role',
    'guest',
  ]);

async function query(q: string): Promise<Row[]> {
  return (await influxClient(stack.influxUrl, stack.database).query(q)) as unknown as Row[];
}

async function until(what: () => Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries && !(await what()); i++) await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  stack = await startLocalStack({ dataDir: join(dir, 'influx'), silenceAfterMs: 3000, statsPeriodMs: 1000 });
  agents.push(daemon('quiet'), daemon('alive'));
  // Both heartbeat, then "quiet" is killed outright (no goodbye).
  await until(async () => (await query(`SELECT count("spooled") FROM agent_status WHERE "group" = '${GROUP}' GROUP BY "agent"`)).length === 2);
  agents[0]!.child.kill('SIGKILL');
  await agents[0]!.done;
  // Wait for a silence check that saw quiet silent (the collector checks every second).
  await until(async () => (await query(`SELECT last("silent") FROM ${SILENCE} WHERE "agent" = 'quiet'`))[0]?.last === 1);
}, 300_000);

afterAll(async () => {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
  await Promise.all(agents.map((a) => a.done));
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('silence', () => {
  it('the "Agent silent" alert rule\'s query returns the stopped agent as silent, the running one not', async () => {
    const file = parse(readFileSync(join(ROOT, 'grafana/provisioning/alerting/overhead-rules.yaml'), 'utf8'));
    const rule = file.groups.flatMap((g: Row) => g.rules).find((r: Row) => r.uid === 'virt-overhead-agent-silent');
    expect(rule.noDataState).toBe('Alerting');
    const q = rule.data.find((x: Row) => x.refId === 'A');
    const now = Date.now();
    const res = (await influxClient(stack.influxUrl, stack.database).query(
      interpolate(q.model.query, { fromMs: now - q.relativeTimeRange.from * 1000, toMs: now }, {}),
    )) as unknown as { groups(): Array<{ tags: Record<string, string>; rows: Row[] }> };
    const byAgent = Object.fromEntries(res.groups().map((g) => [g.tags.agent, g.rows[0]!.silent]));
    expect(byAgent).toEqual({ quiet: 1, alive: 0 });
  });

  it('the silence is the time since the newest stored heartbeat', async () => {
    const lastBeat = (await query(`SELECT last("spooled") FROM agent_status WHERE "agent" = 'quiet'`))[0]!.time.getTime() as number;
    const row = (await query(`SELECT last("silent_s") AS s FROM ${SILENCE} WHERE "agent" = 'quiet'`))[0]!;
    // The check that wrote it ran at some moment after the last heartbeat; its stamp is that moment rounded down to the second.
    expect(row.s).toBeGreaterThan(3);
    expect(row.time.getTime()).toBeGreaterThanOrEqual(Math.floor(lastBeat / 1000) * 1000);
    expect(Math.abs(row.time.getTime() - (lastBeat + row.s * 1000))).toBeLessThan(1000);
  });

  it('the health dashboard\'s "Silent agents" panel shows both, quiet silent', async () => {
    const d = JSON.parse(readFileSync(join(ROOT, 'grafana/dashboards/json/agent-health.json'), 'utf8'));
    const panel = d.panels.find((p: Row) => p.title === 'Silent agents');
    const v = (values: string[]) => ({ multi: true as const, values });
    const rows = await query(
      interpolate(
        panel.targets[0].query,
        { fromMs: Date.now() - 3_600_000, toMs: Date.now() },
        {
          group: v([GROUP]),
          agent: v(['quiet', 'alive']),
          // Every value an agent can report (this machine's agents say pvm), as Grafana's All would list them.
          virt: v([...VIRT_VALUES]),
          variant: v(['default']),
        },
      ),
    );
    const silentOf = Object.fromEntries(rows.map((r) => [r.agent, r.silent]));
    expect(silentOf).toEqual({ quiet: 1, alive: 0 });
  });

  it('collector_stats: one open stream (alive), points written, nothing failed', async () => {
    const s = (await query(`SELECT last("open_streams") AS open, last("points_written") AS written, last("points_failed") AS failed FROM collector_stats`))[0]!;
    expect(s.open).toBe(1);
    expect(s.written).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
  });

  it('the standard gRPC health service says SERVING, and `virt-overhead health` exits 0', async () => {
    expect(await probeHealth(stack.collectorAddress)).toBe('SERVING');
    expect(await probeHealth(stack.collectorAddress, 'virtoverhead.v1.Collector')).toBe('SERVING');
    const r: CliResult = await runCli(['health', '--collector', stack.collectorAddress]);
    expect([r.code, r.stdout.trim()], r.stderr).toEqual([0, 'SERVING']);
    await expect(probeHealth(stack.collectorAddress, 'no.such.Service')).rejects.toThrow(/NOT_FOUND|unknown|not found/i);
  });
});
