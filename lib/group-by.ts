// Items grouped by a key, each group in the items' order (Map keeps the groups in the order their
// first item came): the one grouping loop the collector's computations and writer share.

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}
