// What a result carries about its layer of a nested stack, taken from the agent's hello:
// the declared parent, the declared nesting (`--declare nesting=L2`) and the depth detection
// could see from inside (nested.min_depth: 0 bare metal, 1 a VM; deeper layers are invisible).
// Stored as fields of every `sysbench` point so the chain and its cross-checks are read back
// from InfluxDB (the collector keeps no state).
import type { Hello__Output } from '../../proto/index.js';

export type ChainFields = Record<string, string | number>;

function seenDepth(detectionJson: string): number | undefined {
  try {
    const d = (JSON.parse(detectionJson) as { nested?: { min_depth?: unknown } }).nested?.min_depth;
    return typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 64 ? d : undefined;
  } catch {
    return undefined; // an agent's detection we cannot read: the depth is simply not recorded
  }
}

export function chainFields(h: Hello__Output): ChainFields {
  const out: ChainFields = {};
  if (h.parent_agent) out.parent_agent = h.parent_agent;
  const nesting = h.environment?.declared?.nesting;
  if (nesting) out.declared_nesting = nesting;
  const depth = seenDepth(h.environment?.detection_json ?? '');
  if (depth !== undefined) out.seen_depth = depth;
  return out;
}
