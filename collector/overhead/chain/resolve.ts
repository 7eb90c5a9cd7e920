// Nested stacks: which agent runs on which. Each agent may name its parent (`--parent`, stored
// as the `parent_agent` field of its results); following parents down gives the chain
// root → L1 → L2. Pure: the calculator and the report resolve the same chains from the same rows.

export interface ChainAgent {
  agent: string;
  group: string;
  role: string;
  /** Declared parent agent id; null = none (a root, or an agent outside any chain). */
  parent: string | null;
}

export type ChainProblemKind = 'parent-missing' | 'parent-other-group' | 'cycle' | 'role-conflict' | 'broken-below';

export interface ChainProblem {
  agent: string;
  kind: ChainProblemKind;
  message: string;
}

export interface ChainLink {
  agent: string;
  /** The parent to compare with (one layer); null when none was declared or it cannot be used. */
  parent: string | null;
  /** The bottom of the chain (whole stack); null when the chain is broken below this agent. */
  root: string | null;
  /** root … agent, when the root is known. */
  path: string[] | null;
  /** Layers above the root (root = 0); null when the root is unknown. */
  depth: number | null;
}

export interface ResolvedChains {
  links: Map<string, ChainLink>;
  problems: ChainProblem[];
}

/**
 * Resolves every agent's parent and root. Bad declarations (a parent that never reported,
 * one in another group, a cycle, siblings with different roles) become problems with a
 * message; every chain they do not touch is resolved as usual.
 */
export function resolveChains(agents: readonly ChainAgent[], group: string): ResolvedChains {
  const problems: ChainProblem[] = [];
  const inGroup = new Map<string, ChainAgent>();
  const elsewhere = new Map<string, string[]>();
  for (const a of agents) {
    if (a.group === group) inGroup.set(a.agent, a);
    else elsewhere.set(a.agent, [...(elsewhere.get(a.agent) ?? []), a.group]);
  }

  // A parent whose children disagree on their role: the odd (baseline) children are not compared.
  const badRole = new Set<string>();
  const children = new Map<string, ChainAgent[]>();
  for (const a of inGroup.values()) if (a.parent) children.set(a.parent, [...(children.get(a.parent) ?? []), a]);
  for (const [parent, kids] of children) {
    const roles = new Set(kids.map((k) => k.role));
    if (roles.size < 2) continue;
    const list = kids
      .map((k) => `${k.agent} (${k.role})`)
      .sort()
      .join(', ');
    for (const k of kids) {
      if (k.role === 'guest') continue;
      badRole.add(k.agent);
      problems.push({
        agent: k.agent,
        kind: 'role-conflict',
        message: `agents ${list} all name '${parent}' as their parent but with different roles; '${k.agent}' (${k.role}) is not compared with it — a layer running on '${parent}' is its guest`,
      });
    }
  }

  // The usable parent of each agent, or a problem saying why not.
  const parentOf = new Map<string, string | null>();
  for (const a of inGroup.values()) {
    if (!a.parent || badRole.has(a.agent)) {
      parentOf.set(a.agent, null);
      continue;
    }
    if (inGroup.has(a.parent)) parentOf.set(a.agent, a.parent);
    else {
      parentOf.set(a.agent, null);
      const groups = elsewhere.get(a.parent);
      problems.push(
        groups
          ? {
              agent: a.agent,
              kind: 'parent-other-group',
              message: `'${a.agent}' (group ${group}) names '${a.parent}' as its parent, but '${a.parent}' reports in group ${[...new Set(groups)].sort().join(', ')}; layers are compared within one group only`,
            }
          : {
              agent: a.agent,
              kind: 'parent-missing',
              message: `'${a.agent}' names '${a.parent}' as its parent, but '${a.parent}' has no results in group ${group} near this run`,
            },
      );
    }
  }

  // Walk down to the root. A walk that meets a cycle, or ends at an agent whose declared
  // parent cannot be used, has no root: that agent is compared with its parent only.
  const links = new Map<string, ChainLink>();
  const cycles = new Set<string>();
  for (const a of inGroup.values()) {
    const seen: string[] = [a.agent];
    let cycle: string[] | null = null;
    for (let p = parentOf.get(a.agent) ?? null; p !== null; p = parentOf.get(p) ?? null) {
      const at = seen.indexOf(p);
      if (at >= 0) {
        cycle = seen.slice(at);
        break;
      }
      seen.push(p);
    }
    const parent = parentOf.get(a.agent) ?? null;
    if (cycle) {
      const key = [...cycle].sort().join('\0');
      if (!cycles.has(key)) {
        cycles.add(key);
        const first = cycle.indexOf([...cycle].sort()[0]!);
        cycle = [...cycle.slice(first), ...cycle.slice(0, first)];
        const ring = [...cycle, cycle[0]!].map((x) => `'${x}'`).join(' → ');
        problems.push({
          agent: cycle[0]!,
          kind: 'cycle',
          message: `the parents form a cycle: ${ring}; none of these is compared with its parent or with a root`,
        });
      }
      const inCycle = cycle.includes(a.agent);
      if (!inCycle)
        problems.push({
          agent: a.agent,
          kind: 'broken-below',
          message: `'${a.agent}' is compared with its parent '${parent}' only: the chain below it runs into a cycle, so there is no whole-stack figure`,
        });
      links.set(a.agent, { agent: a.agent, parent: inCycle ? null : parent, root: null, path: null, depth: null });
      continue;
    }
    const bottom = seen[seen.length - 1]!;
    if (inGroup.get(bottom)!.parent) {
      // The bottom declared a parent it cannot use (missing, other group, role conflict).
      if (bottom !== a.agent)
        problems.push({
          agent: a.agent,
          kind: 'broken-below',
          message: `'${a.agent}' is compared with its parent '${parent}' only: the chain below it is broken at '${bottom}', so there is no whole-stack figure`,
        });
      links.set(a.agent, { agent: a.agent, parent, root: null, path: null, depth: null });
      continue;
    }
    const path = [...seen].reverse();
    links.set(a.agent, { agent: a.agent, parent, root: path.length > 1 ? bottom : null, path, depth: path.length - 1 });
  }
  return { links, problems };
}
