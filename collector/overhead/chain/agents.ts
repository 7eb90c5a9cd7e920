// Tells "parent in another group" from "parent never reported": for parents that have no
// results in the group, the groups the store knows them in are added to the agents.
import type { Store } from '../../store/store.js';
import type { ChainAgent } from './resolve.js';

export async function withGroupsOfMissingParents(store: Store, agents: readonly ChainAgent[], group: string): Promise<ChainAgent[]> {
  const inGroup = new Set(agents.filter((a) => a.group === group).map((a) => a.agent));
  const missing = [...new Set(agents.filter((a) => a.group === group && a.parent !== null && !inGroup.has(a.parent)).map((a) => a.parent!))];
  const out = [...agents];
  for (const agent of missing) {
    for (const g of await store.tagValues('sysbench', 'group', { tags: { agent } }))
      if (g !== group && !out.some((a) => a.agent === agent && a.group === g)) out.push({ agent, group: g, role: '', parent: null });
  }
  return out;
}
