// Per-credential budgets of distinct tag values and series (schema/bounds.ts TAG_BUDGETS,
// SERIES_BUDGET). Every free tag value becomes an InfluxDB index entry that is never forgotten:
// one guest's token inventing a profile name per result used up InfluxDB's 100 000 values per
// tag in 85 s, and from then on another group's result with a new profile name was held
// forever. A credential is one agent id in one group (what a token or a certificate grants;
// without --tokens, what the hello claims). Counted in memory, per collector process, shared by
// the credential's streams (one agent reconnecting spends the same budget).
// A credential not heard from for BUDGET_FORGET_AFTER_MS is forgotten (issue 26: a guest that
// reported once must not stay in memory for the process's life) and may then spend a budget
// again: at most one more per 30 days idle, which grows InfluxDB's index by a few values a month —
// no attack; the flood this stops is values invented per result, and an agent sending results is
// never idle. Rebuilding the counts from InfluxDB at a credential's return (SHOW TAG VALUES / SHOW
// SERIES of the agent) would hold across restarts too, at a read per hello; not done.
import { flat } from '../../lib/flat-string.js';
import { IdleMap } from '../../lib/idle-map.js';
import { quote } from '../../lib/inert.js';
import { SERIES_BUDGET, TAG_BUDGETS } from '../../schema/bounds.js';

interface Spent {
  values: Map<string, Set<string>>;
  series: Set<string>;
}

/** A credential's counts are kept until it was not heard from this long. */
export const BUDGET_FORGET_AFTER_MS = 30 * 86_400_000;

export class TagBudgets {
  private readonly spent: IdleMap<string, Spent>;

  constructor(
    private readonly budgets: Readonly<Record<string, number>> = TAG_BUDGETS,
    private readonly seriesBudget = SERIES_BUDGET,
    /** Credentials remembered; past it the least recently heard is forgotten (only without --tokens can there be this many). */
    maxCredentials = 100_000,
    /** The clock (ms, monotonic) the idle time is measured on; tests inject theirs. */
    now?: () => number,
  ) {
    this.spent = new IdleMap({ idleMs: BUDGET_FORGET_AFTER_MS, max: maxCredentials, now });
  }

  /** Credentials whose counts are kept now (a test checks what is forgotten). */
  get size(): number {
    return this.spent.size;
  }

  /**
   * Admits these tag values (and `series`, a series key) for the credential and counts them, or
   * says why not: all or nothing, so a refused record spends no budget.
   */
  admit(group: string, agent: string, tags: Readonly<Record<string, string>>, series?: string): string | undefined {
    const key = `${group}\0${agent}`;
    let s = this.spent.get(key);
    if (!s) this.spent.set(key, (s = { values: new Map(), series: new Set() }));
    // A series admitted before was admitted with these very values (they are part of its key): the
    // answer is the same, without walking the tags (every record of a live agent takes this path).
    if (series !== undefined && s.series.has(series)) return undefined;
    for (const [tag, value] of Object.entries(tags)) {
      const budget = this.budgets[tag];
      if (budget === undefined) continue;
      const seen = s.values.get(tag);
      if (seen?.has(value) || (seen?.size ?? 0) < budget) continue;
      return `agent ${quote(agent)} in group ${quote(group)} has used its budget of ${budget} distinct ${tag} values: ${tag} ${quote(value)} is refused (docs/schema.md, "What an agent may send")`;
    }
    if (series !== undefined && !s.series.has(series) && s.series.size >= this.seriesBudget)
      return `agent ${quote(agent)} in group ${quote(group)} has used its budget of ${this.seriesBudget} distinct series: a new one is refused (docs/schema.md, "What an agent may send")`;
    for (const [tag, value] of Object.entries(tags)) {
      if (this.budgets[tag] === undefined) continue;
      let seen = s.values.get(tag);
      if (!seen) s.values.set(tag, (seen = new Set()));
      if (!seen.has(value)) seen.add(flat(value));
    }
    if (series !== undefined && !s.series.has(series)) s.series.add(flat(series));
    return undefined;
  }
}
