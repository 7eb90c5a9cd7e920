// Which facts changed: between two hellos (agent_info's `changed`), and across a change point
// (changes/detect.ts). A fact is named only when it held one value over the last runs before
// the change and another one over the first runs after it: a fact that flaps (kvm
// usable/unusable, two hosts taking turns) explains nothing and is not named.

/** Facts of one run: name → value (tags of the run's points, agent_info fields). */
export type Facts = Readonly<Record<string, string>>;

export interface FactChange {
  name: string;
  before: string;
  after: string;
}

/** The single value of `name` over all runs, or undefined when it is missing or not constant. */
function steady(runs: readonly Facts[], name: string): string | undefined {
  const first = runs[0]?.[name];
  if (first === undefined) return undefined;
  return runs.every((r) => r[name] === first) ? first : undefined;
}

/**
 * Facts whose steady value before differs from their steady value after, comparing up to
 * `span` runs on each side (the runs nearest the change).
 */
export function changedFacts(before: readonly Facts[], after: readonly Facts[], span = 3): FactChange[] {
  const b = before.slice(-span);
  const a = after.slice(0, span);
  const names = new Set<string>();
  for (const r of [...b, ...a]) for (const k of Object.keys(r)) names.add(k);
  const out: FactChange[] = [];
  for (const name of [...names].sort()) {
    const vb = steady(b, name);
    const va = steady(a, name);
    if (vb !== undefined && va !== undefined && vb !== va) out.push({ name, before: vb, after: va });
  }
  return out;
}

/** `kernel: 6.1 → 6.12; variant: stock → patched` */
export function describeFacts(changes: readonly FactChange[]): string {
  return changes.map((c) => `${c.name}: ${c.before} → ${c.after}`).join('; ');
}
