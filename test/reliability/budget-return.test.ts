// Issue 26 / issue 23 item 1: the tag budget is the credential's, not the stream's. A real
// collector (in-process, as the command starts it) and influxd: an agent spends its 64 profile
// names on one stream, closes it and comes back on a new one; the 65th name is still refused.
// Before, the collector gave each stream a budget of its own, so reconnecting renewed it.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { AgentMessage, CollectorMessage__Output } from '../../proto/index.js';
import { hello, openStream, rawCollectorFixture, validResult } from '../support/raw-client.js';

const fx = rawCollectorFixture('vo-budget-return-');

/** One stream of agent 'ret': hello, the messages, every id answered; then closed. */
async function stream(messages: AgentMessage[]): Promise<CollectorMessage__Output[]> {
  const s = openStream(fx.client);
  s.call.write({ hello: hello({ agent_id: 'ret', group: 'budget' }) });
  await s.waitFor((m) => Boolean(m.welcome));
  for (const m of messages) s.call.write(m);
  const answered = (m: CollectorMessage__Output) => (m.ack?.ids.length ?? 0) + (m.reject ? 1 : 0);
  // Waits for the state (every id answered), however long a loaded machine takes.
  let closed = false;
  void s.closed.then(() => (closed = true));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (s.received.reduce((a, m) => a + answered(m), 0) >= messages.length) resolve();
      else if (closed) reject(new Error('the stream closed before every id was answered'));
      else setTimeout(check, 20);
    };
    check();
  });
  s.close();
  await s.closed;
  return s.received;
}

describe('tag budget across reconnects (real collector)', () => {
  it('an agent that spent its 64 profile names and reconnects cannot spend more; its known names still go', async () => {
    const first = await stream(Array.from({ length: 64 }, (_, i) => validResult(`ret-${i}`, { profile: `p${i}` })));
    expect(first.flatMap((m) => m.ack?.ids ?? []).length).toBe(64);
    expect(first.filter((m) => m.reject)).toEqual([]);
    const back = await stream([validResult('ret-new', { profile: 'p64' }), validResult('ret-known', { profile: 'p7' })]);
    expect(back.flatMap((m) => m.ack?.ids ?? [])).toEqual(['ret-known']);
    const rejects = back.filter((m) => m.reject).map((m) => m.reject!);
    expect(rejects.map((r) => [r.id, r.code])).toEqual([['ret-new', grpc.status.RESOURCE_EXHAUSTED]]);
    expect(rejects[0]!.reason).toMatch(/budget of 64 distinct profile values/);
  }, 300_000);
});
