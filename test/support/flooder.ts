// A valid agent flooding at its rate limit, on a raw stream (issue 23 items 4 and 6): batches of
// BATCH valid results (runs of 10 trials against its group's baseline), written as fast as the
// collector reads them (flow control), every id kept until acked and resent after a reconnect,
// as a real agent's spool would. Counts what it produced and what was acked.
import type { AgentMessage } from '../../proto/index.js';
import { hello, openStream, rawClient, type RawStream } from './raw-client.js';

type Result = NonNullable<AgentMessage['result']>;

export const RUN_TRIALS = 10;
/**
 * Results sent and not acked at most, as the agent's Sender keeps a window (grpc-js would buffer
 * without end); small, so that what is in flight when the flood ends is acked within a minute at
 * the collector's results rate (schema/bounds.ts RESULT_RATE).
 */
const WINDOW = 200;
const BATCH = 100;

export class Flooder {
  produced = 0;
  readonly acked = new Set<string>();
  /** Sent, not acked yet: resent on the next connection. */
  private readonly unacked = new Map<string, Result>();
  private client: ReturnType<typeof rawClient> | null = null;
  private stream: RawStream | null = null;
  private closed = true;
  private readonly baseNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly agentId: string,
    readonly group: string,
    readonly role: 'guest' | 'baseline' = 'guest',
  ) {}

  /** Runs produced so far (each RUN_TRIALS results). */
  get runs(): number {
    return Math.ceil(this.produced / RUN_TRIALS);
  }

  /** Connects (hello, welcome) and resends what was not acked. */
  async connect(address: string): Promise<void> {
    this.client?.close();
    this.client = rawClient(address);
    const s = openStream(this.client);
    this.stream = s;
    this.closed = false;
    void s.closed.then(() => {
      if (this.stream === s) this.closed = true;
    });
    s.call.on('data', (m: { ack?: { ids: string[] } | null }) => {
      for (const id of m.ack?.ids ?? []) {
        this.unacked.delete(id);
        this.acked.add(id);
      }
    });
    s.call.write({ hello: hello({ agent_id: this.agentId, group: this.group, role: this.role, variant: 'flood', hostname: `${this.agentId}-host` }) });
    await s.waitFor((m) => Boolean(m.welcome), 1, 60_000);
    s.received.length = 0; // acks are counted by the listener above, not kept
    const again = [...this.unacked.values()];
    for (let i = 0; i < again.length && !this.closed; i += BATCH) await this.send(again.slice(i, i + BATCH));
  }

  /** The next `n` results (new ids, unique timestamps, runs of RUN_TRIALS trials). */
  private next(n: number): Result[] {
    const out: Result[] = [];
    for (let k = 0; k < n; k++, this.produced++) {
      const i = this.produced;
      const id = `${this.agentId}-${i}`;
      const r: Result = {
        id,
        timestamp_ns: String(this.baseNs + BigInt(i) * 1000n),
        run_id: `${this.agentId}-run${Math.floor(i / RUN_TRIALS)}`,
        test: 'cpu',
        profile: 'flood',
        trial: (i % RUN_TRIALS) + 1,
        threads: 1,
        ok: true,
        fields: { events_per_sec: (this.role === 'baseline' ? 1000 : 900) + (i % 7), total_time_s: 10 },
        errors: [],
        sysbench_version: '1.0.20',
      };
      this.unacked.set(id, r);
      out.push(r);
    }
    return out;
  }

  private async send(results: Result[]): Promise<void> {
    const s = this.stream;
    if (!s || this.closed) return;
    if (!s.call.write({ batch: { results, samples: [] } })) await Promise.race([new Promise((r) => s.call.once('drain', r)), s.closed]);
  }

  /** Sends `n` results in batches of up to BATCH. */
  async produce(n: number): Promise<void> {
    for (let left = n; left > 0 && !this.closed; left -= BATCH) await this.send(this.next(Math.min(BATCH, left)));
  }

  /** Sends batches, WINDOW unacked at most, until the deadline or the stream closes (the collector stopped). */
  async flood(untilMs: number): Promise<void> {
    while (Date.now() < untilMs && !this.closed) {
      if (this.unacked.size + BATCH > WINDOW) await new Promise((r) => setTimeout(r, 10));
      else await this.send(this.next(BATCH));
    }
  }

  get pending(): number {
    return this.unacked.size;
  }

  /** Resolves once every result produced was acked (or the stream closed, or timeoutMs passed). */
  async settled(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.unacked.size > 0 && !this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  close(): void {
    this.stream?.close();
    this.client?.close();
    this.closed = true;
  }
}
