// A victim agent on a raw stream: one result every `everyMs` for `forMs`, each ack's latency
// measured from its own socket (issue 23: the victim's latency with and without an attacker).
import { sleep } from './procs.js';
import { validResult, type RawStream } from './raw-client.js';

export async function victimPhase(
  s: RawStream,
  prefix: string,
  forMs: number,
  everyMs = 50,
  profile: (i: number) => string = () => 'victim',
): Promise<{ ids: string[]; latencies: number[] }> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const onData = (m: { ack?: { ids: string[] } | null }) => {
    for (const id of m.ack?.ids ?? []) {
      const t = sentAt.get(id);
      if (t !== undefined) latencies.push(performance.now() - t);
    }
  };
  s.call.on('data', onData);
  const ids: string[] = [];
  const end = performance.now() + forMs;
  for (let i = 0; performance.now() < end; i++) {
    const id = `${prefix}-${i}`;
    ids.push(id);
    sentAt.set(id, performance.now());
    s.call.write(validResult(id, { profile: profile(i), run_id: `${prefix}-run` }));
    await sleep(everyMs);
  }
  for (let i = 0; i < 2400 && latencies.length < ids.length; i++) await sleep(25);
  s.call.off('data', onData);
  return { ids, latencies };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** "median X ms, p95 Y ms" of latencies. */
export const latencyText = (xs: number[]) => `median ${quantile(xs, 0.5).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms`;
