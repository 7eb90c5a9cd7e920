// sameRecord: how a resend is compared with a point stored before content_hash existed.
import { describe, expect, it } from 'vitest';
import { sameRecord } from './history.js';

describe('sameRecord (a pre-hash point against a resend)', () => {
  const mine = { result_id: 'r1', events_per_sec: 22988.76, trial: 1, ok: true, run_id: 'x' };
  it('the same id and every shared value equal: the same record (fields only one side has are ignored)', () => {
    expect(sameRecord(mine, { time: '5', result_id: 'r1', events_per_sec: 22988.76, trial: 1, ok: true, run_id: 'x', old_field: 3 })).toBe(true);
    expect(sameRecord({ ...mine, parent_agent: 'h' }, { result_id: 'r1', events_per_sec: 22988.76, trial: 1, ok: true, run_id: 'x' })).toBe(true);
  });
  it('one value differing, another id, or no id stored: not the same record', () => {
    expect(sameRecord(mine, { result_id: 'r1', events_per_sec: 1, trial: 1, ok: true, run_id: 'x' })).toBe(false);
    expect(sameRecord(mine, { result_id: 'r2', events_per_sec: 22988.76, trial: 1, ok: true, run_id: 'x' })).toBe(false);
    expect(sameRecord(mine, { events_per_sec: 22988.76, trial: 1, ok: true, run_id: 'x' })).toBe(false);
    expect(sameRecord(mine, { ok: 'true' })).toBe(false); // types count: true is not "true"
  });
  it('heartbeats (no id field): every shared value; nothing shared or nothing stored is not the same', () => {
    expect(sameRecord({ spooled: 3, state: 'idle' }, { spooled: 3, state: 'idle', collector_held: 7 })).toBe(true);
    expect(sameRecord({ spooled: 3, state: 'idle' }, { spooled: 4, state: 'idle' })).toBe(false);
    expect(sameRecord({ spooled: 3 }, { other: 1 })).toBe(false);
    expect(sameRecord({ spooled: 3 }, undefined)).toBe(false);
  });
});
