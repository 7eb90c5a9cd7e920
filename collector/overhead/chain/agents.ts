// Tells "parent in another group" from "parent never reported": for parents that have no
// results in the group, the groups InfluxDB knows them in are added to the agents.
import type { InfluxDB } from 'influx';
import type { ChainAgent } from './resolve.js';
import { eq } from '../../../schema/influxql.js';

export async function withGroupsOfMissingParents(influx: InfluxDB, database: string, agents: readonly ChainAgent[], group: string): Promise<ChainAgent[]> {
  const inGroup = new Set(agents.filter((a) => a.group === group).map((a) => a.agent));
  const missing = [...new Set(agents.filter((a) => a.group === group && a.parent !== null && !inGroup.has(a.parent)).map((a) => a.parent!))];
  const out = [...agents];
  for (const agent of missing) {
    const rows = (await influx.query(`SHOW TAG VALUES FROM "sysbench" WITH KEY = "group" WHERE ${eq('agent', agent)}`, { database })) as unknown as Array<{
      value: string;
    }>;
    for (const r of rows)
      if (r.value !== group && !out.some((a) => a.agent === agent && a.group === r.value)) out.push({ agent, group: r.value, role: '', parent: null });
  }
  return out;
}
