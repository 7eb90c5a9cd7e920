// A simulated agent: a real gRPC client of the collector (from the wire contract) that speaks
// the real protocol — hello, wait for welcome, send messages with at most `window` unacked
// (like agent/stream/sender.ts), forget them on ack — and times every message from write to
// ack. Its own connection per agent (no shared subchannel), as separate machines would have.
import * as grpc from '@grpc/grpc-js';
import { BATCH_PROTOCOL_VERSION, loadContract, type AgentMessage, type CollectorClient, type CollectorMessage__Output, type Hello } from '../proto/index.js';
import { packBatches, type Sized } from '../agent/stream/batch.js';
import { messageId } from './messages.js';

export interface SimAgentResult {
  sent: number;
  acked: number;
  rejected: string[];
  /** Write-to-ack time of every acked message, ms. */
  latenciesMs: number[];
}

/**
 * How a send waits for its acks. A stream the collector paused behind owed work acks nothing for
 * minutes (until its owed queue is below the low water): not a failed run while the collector
 * still works through it. So the wait is on progress, not a fixed time.
 */
export interface AckWait {
  /** No ack for this long: ask `stuck` (default 300 s). */
  quietMs?: number;
  /**
   * Why the collector is stuck (dead, or its owed work not shrinking), or undefined while it still
   * works: then the wait goes on for another quiet period. Absent: a quiet period fails the send.
   */
  stuck?: () => Promise<string | undefined>;
}

export class SimAgent {
  private readonly client: CollectorClient;
  private call: grpc.ClientDuplexStream<AgentMessage, CollectorMessage__Output> | null = null;
  private readonly sentAt = new Map<string, number>();
  private welcomed: Promise<void> | null = null;
  private collectorProtocol = 1;

  constructor(
    private readonly address: string,
    private readonly hello: Hello,
    private readonly window = 256,
  ) {
    const { Collector } = loadContract().virtoverhead.v1;
    this.client = new Collector(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_send_message_length': 1024 * 1024,
    });
  }

  /** Opens the stream and resolves on the collector's Welcome. */
  connect(timeoutMs = 30_000): Promise<void> {
    if (this.welcomed) return this.welcomed;
    const call = this.client.Stream();
    this.call = call;
    this.welcomed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sim agent ${this.hello.agent_id}: no welcome from ${this.address} within ${timeoutMs} ms`)), timeoutMs);
      const onData = (msg: CollectorMessage__Output) => {
        if (!msg.welcome) return;
        this.collectorProtocol = msg.welcome.protocol_version;
        clearTimeout(timer);
        call.off('data', onData);
        resolve();
      };
      call.on('data', onData);
      call.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(new Error(`sim agent ${this.hello.agent_id}: stream failed before welcome: ${err.message}`));
      });
    });
    call.write({ hello: this.hello });
    return this.welcomed;
  }

  /** Sends every message (window-limited) and resolves when each was acked or rejected; fails when the collector is stuck (`wait`). */
  send(messages: readonly AgentMessage[], wait: AckWait = {}): Promise<SimAgentResult> {
    const call = this.call;
    if (!call) throw new Error('sim agent: connect() first');
    const quietMs = wait.quietMs ?? 300_000;
    const result: SimAgentResult = { sent: 0, acked: 0, rejected: [], latenciesMs: [] };
    const ids = messages.map(messageId);
    let next = 0;
    return new Promise<SimAgentResult>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      // The send is over (acked, or failed): no more timer, no more listeners on the stream.
      const stop = () => {
        done = true;
        clearTimeout(timer);
        call.off('data', onData);
        call.off('error', onError);
      };
      const fail = (why: string) => {
        if (done) return;
        stop();
        reject(new Error(`sim agent ${this.hello.agent_id}: ${messages.length - result.acked - result.rejected.length} messages not acknowledged: ${why}`));
      };
      // Restarted by every answer; when it fires, the collector is asked whether it still works.
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (!wait.stuck) return fail(`no ack within ${quietMs} ms`);
          wait.stuck().then(
            (why) => (why === undefined ? !done && arm() : fail(`no ack for ${quietMs} ms and ${why}`)),
            (err: Error) => fail(`no ack for ${quietMs} ms, and the collector's state could not be read: ${err.message}`),
          );
        }, quietMs);
      };
      const finishIfDone = () => {
        if (result.acked + result.rejected.length < messages.length) return false;
        stop();
        resolve(result);
        return true;
      };
      // Like agent/stream/sender.ts: fill the window, size-check each record, and pack them
      // into RecordBatch messages when the collector speaks protocol 2.
      const pump = () => {
        const ready: Sized[] = [];
        while (next < messages.length && this.sentAt.size < this.window) {
          const id = ids[next]!;
          this.sentAt.set(id, performance.now());
          ready.push({ message: messages[next]!, bytes: Buffer.byteLength(JSON.stringify(messages[next]!)) });
          next++;
          result.sent++;
        }
        // Heartbeats go on their own, as agent/stream/sender.ts sends them; results and samples in batches.
        const batchable = ready.filter((r) => !r.message.status);
        for (const r of ready) if (r.message.status) call.write(r.message);
        for (const m of this.collectorProtocol >= BATCH_PROTOCOL_VERSION ? packBatches(batchable) : batchable.map((r) => r.message)) call.write(m);
      };
      const onData = (msg: CollectorMessage__Output) => {
        const now = performance.now();
        if (msg.ack) {
          for (const id of msg.ack.ids) {
            const t = this.sentAt.get(id);
            if (t === undefined) continue; // an ack for a resend we no longer wait for
            this.sentAt.delete(id);
            result.acked++;
            result.latenciesMs.push(now - t);
          }
        } else if (msg.reject) {
          if (this.sentAt.delete(msg.reject.id)) result.rejected.push(`${msg.reject.id}: ${msg.reject.reason}`);
        }
        if (!finishIfDone()) {
          arm();
          pump();
        }
      };
      // Removed when the send is done: an agent sending a run every tick for a year adds one per run.
      const onError = (err: Error) => fail(`stream failed: ${err.message}`);
      call.on('data', onData);
      call.once('error', onError);
      if (!finishIfDone()) {
        arm();
        pump();
      }
    });
  }

  /** Ends the stream and closes the connection. */
  close(): void {
    if (this.call) {
      this.call.removeAllListeners();
      this.call.on('error', () => {});
      this.call.end();
      this.call.cancel();
      this.call = null;
    }
    this.client.close();
  }
}
