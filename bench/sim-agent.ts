// A simulated agent: a real gRPC client of the collector (from the wire contract) that speaks
// the real protocol — hello, wait for welcome, send messages with at most `window` unacked
// (like agent/stream/sender.ts), forget them on ack — and times every message from write to
// ack. Its own connection per agent (no shared subchannel), as separate machines would have.
// Records are encoded to protobuf once (encodeRecords, which a bench may call before its clock
// starts) and batches are made by joining their bytes: a real agent's encoding is paid on its
// guest, not on the collector's machine, so the simulated clients should take as little of the
// shared cores as they can. What the collector decodes is the RecordBatch protobufjs would have
// written for the same records (test/sim-agent-wire.test.ts).
import * as grpc from '@grpc/grpc-js';
import { BATCH_PROTOCOL_VERSION, loadContract, type AgentMessage, type CollectorMessage__Output, type Hello } from '../proto/index.js';
import { splitBatches } from '../agent/stream/batch.js';
import { SEND_WINDOW } from '../agent/stream/sender.js';
import { messageId } from './messages.js';

/** One record as the agent will send it: alone, its AgentMessage's bytes; `field` says what it is in a RecordBatch. */
export interface EncodedRecord {
  id: string;
  bytes: Buffer;
  /** RecordBatch field number (1 results, 2 samples); 0: never batched (a heartbeat). */
  field: 0 | 1 | 2;
}

const STREAM_METHOD = '/virtoverhead.v1.Collector/Stream';
/** AgentMessage's `batch` field (5), length-delimited. */
const BATCH_TAG = (5 << 3) | 2;

function serializer(): (m: AgentMessage) => Buffer {
  return loadContract().virtoverhead.v1.Collector.service.Stream.requestSerialize as (m: AgentMessage) => Buffer;
}

/** Each message encoded once, in order. */
export function encodeRecords(messages: readonly AgentMessage[]): EncodedRecord[] {
  const serialize = serializer();
  return messages.map((m) => ({ id: messageId(m), bytes: serialize(m), field: m.result ? 1 : m.sample ? 2 : 0 }));
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/**
 * AgentMessage{batch: RecordBatch{…}} from encoded records: a record alone is AgentMessage's
 * field 2 (result) or 3 (sample) around the record's bytes; in a batch the same bytes are
 * RecordBatch's field 1 or 2, so only the one-byte tag changes (protobuf allows a repeated
 * field's entries interleaved with another's; the collector reads results, then samples).
 */
export function batchBytes(records: readonly EncodedRecord[]): Buffer {
  let length = 0;
  for (const r of records) length += r.bytes.length;
  const head = [BATCH_TAG, ...varint(length)];
  const out = Buffer.allocUnsafe(head.length + length);
  out.set(head, 0);
  let at = head.length;
  for (const r of records) {
    r.bytes.copy(out, at);
    out[at] = (r.field << 3) | 2;
    at += r.bytes.length;
  }
  return out;
}

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
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<Buffer, CollectorMessage__Output> | null = null;
  private readonly sentAt = new Map<string, number>();
  private welcomed: Promise<void> | null = null;
  private collectorProtocol = 1;

  constructor(
    private readonly address: string,
    private readonly hello: Hello,
    private readonly window = SEND_WINDOW,
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_send_message_length': 1024 * 1024,
    });
  }

  /** Opens the stream and resolves on the collector's Welcome. */
  connect(timeoutMs = 30_000): Promise<void> {
    if (this.welcomed) return this.welcomed;
    const deserialize = loadContract().virtoverhead.v1.Collector.service.Stream.responseDeserialize as (b: Buffer) => CollectorMessage__Output;
    // Bytes pass through as they are: they were encoded by encodeRecords.
    const call = this.client.makeBidiStreamRequest(STREAM_METHOD, (b: Buffer) => b, deserialize);
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
    call.write(serializer()({ hello: this.hello }));
    return this.welcomed;
  }

  /**
   * Sends every message (window-limited) and resolves when each was acked or rejected; fails when
   * the collector is stuck (`wait`). Messages not yet encoded are encoded here (encodeRecords).
   */
  send(input: readonly AgentMessage[] | readonly EncodedRecord[], wait: AckWait = {}): Promise<SimAgentResult> {
    const call = this.call;
    if (!call) throw new Error('sim agent: connect() first');
    const quietMs = wait.quietMs ?? 300_000;
    const result: SimAgentResult = { sent: 0, acked: 0, rejected: [], latenciesMs: [] };
    const messages = isEncoded(input) ? input : encodeRecords(input as readonly AgentMessage[]);
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
      // Like agent/stream/sender.ts: fill the window and pack the records into RecordBatch
      // messages (its split: agent/stream/batch.ts) when the collector speaks protocol 2.
      const pump = () => {
        const ready: EncodedRecord[] = [];
        const now = performance.now();
        while (next < messages.length && this.sentAt.size < this.window) {
          const r = messages[next]!;
          this.sentAt.set(r.id, now);
          ready.push(r);
          next++;
          result.sent++;
        }
        // Heartbeats go on their own, as agent/stream/sender.ts sends them; results and samples in batches.
        const batchable = ready.filter((r) => r.field !== 0);
        for (const r of ready) if (r.field === 0) call.write(r.bytes);
        if (this.collectorProtocol >= BATCH_PROTOCOL_VERSION) for (const b of splitBatches(batchable, (r) => r.bytes.length)) call.write(batchBytes(b));
        else for (const r of batchable) call.write(r.bytes);
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

function isEncoded(input: readonly AgentMessage[] | readonly EncodedRecord[]): input is readonly EncodedRecord[] {
  return input.length > 0 && Buffer.isBuffer((input[0] as EncodedRecord).bytes);
}
