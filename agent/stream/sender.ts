// Sends what the spool holds over one bidirectional gRPC stream and forgets a record only
// when the collector acknowledged its id. Reconnects with backoff; replays oldest first; keeps
// at most `window` records in flight.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  BATCH_PROTOCOL_VERSION,
  loadContract,
  type AgentStatus,
  type CollectorClient,
  type CollectorMessage__Output,
  type Hello,
  type AgentMessage,
} from '../../proto/index.js';
import { packBatches, type Sized } from './batch.js';
import type { Spool } from '../spool/spool.js';
import type { SpoolRecord } from '../spool/record.js';
import { Backoff } from './backoff.js';
import { clientCredentials, tlsFailureHint, type TlsOptions } from './credentials.js';

/**
 * Records in flight by default (sent, not yet acked). Each round trip to the collector costs an
 * InfluxDB write there (a WAL fsync), so a replaying agent's rate is about window / round trip:
 * 256 bound one agent to ~18 000 points/s in the ingest bench; 1024 (issue 26) let it fill the
 * collector's bigger batches. The cost: up to 1024 ids in memory and their encoded records in
 * gRPC's send buffer (~0.5 MB at the bench's ~400 bytes), and after a broken stream up to 1024
 * records sent again, which the collector acks as already stored. Under the collector's own
 * bound per stream (STREAM_MAX_UNANSWERED, 5 000), so it never pauses a stream for this.
 */
export const SEND_WINDOW = 1024;

export interface SenderOptions {
  address: string;
  hello: Hello;
  token?: string;
  tls: TlsOptions;
  spool: Spool;
  log: Logger;
  window?: number;
  /** First reconnect delay ceiling (default 500 ms; doubles per failure up to 60 s, full jitter). */
  backoffBaseMs?: number;
  /** Called on every Welcome (first connection and each reconnect). */
  onConnected?: () => void;
  /** Called when the collector refused a record for good (it is dropped from the spool). */
  onReject?: (id: string, reason: string) => void;
}

export class Sender {
  private readonly client: CollectorClient;
  private call: grpc.ClientDuplexStream<AgentMessage, CollectorMessage__Output> | null = null;
  private connected = false;
  private readonly inFlight = new Set<string>();
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private statusWaiters = new Map<string, () => void>();
  private readonly window: number;
  /** The wire encoding of one message (throws on a body of the wrong shape). */
  private readonly serialize: (m: AgentMessage) => Buffer;
  /** The protocol version the collector's Welcome announced. */
  private collectorProtocol = 1;
  rejected = 0;
  /** Records of the spool the collector acknowledged (this process). */
  delivered = 0;
  lastError = '';

  constructor(private readonly opts: SenderOptions) {
    const { Collector } = loadContract().virtoverhead.v1;
    const { creds, options } = clientCredentials(opts.address, opts.tls);
    this.client = new Collector(opts.address, creds, {
      ...options,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // The channel has its own reconnect backoff (default up to 120 s) under ours: keep it
      // short, so that our capped, jittered backoff is the one that decides.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    this.window = opts.window ?? SEND_WINDOW;
    this.serialize = Collector.service.Stream.requestSerialize as (m: AgentMessage) => Buffer;
    this.backoff = new Backoff(opts.backoffBaseMs ?? 500, 60_000);
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const md = new grpc.Metadata();
    if (this.opts.token) md.set('authorization', `Bearer ${this.opts.token}`);
    const call = this.client.Stream(md);
    this.call = call;
    call.on('data', (msg: CollectorMessage__Output) => this.onMessage(msg));
    call.on('error', (err: grpc.ServiceError) => this.onBroken(err));
    call.on('end', () => this.onBroken(null));
    // The clock at each (re)connect: the collector flags every record when it is wrong.
    call.write({ hello: { ...this.opts.hello, clock_ns: String(BigInt(Date.now()) * 1_000_000n) } });
  }

  private onMessage(msg: CollectorMessage__Output): void {
    if (msg.welcome) {
      this.collectorProtocol = msg.welcome.protocol_version;
      this.connected = true;
      this.backoff.reset();
      this.lastError = '';
      this.opts.log.info(
        { collector: this.opts.address, protocol: msg.welcome.protocol_version, pending: this.opts.spool.stats().spooled },
        'connected to collector',
      );
      this.opts.onConnected?.();
      this.pump();
    } else if (msg.ack) {
      for (const id of msg.ack.ids) if (this.opts.spool.has(id)) this.delivered++;
      this.opts.spool.ack(msg.ack.ids);
      for (const id of msg.ack.ids) {
        this.inFlight.delete(id);
        this.statusWaiters.get(id)?.();
      }
      this.pump();
    } else if (msg.reject) {
      const { id, reason } = msg.reject;
      this.rejected++;
      this.opts.log.warn({ id, code: msg.reject.code, reason }, "collector rejected a record; set aside in the spool's quarantine.jsonl");
      this.opts.onReject?.(id, reason);
      this.opts.spool.quarantine([id], `collector: ${grpc.status[msg.reject.code] ?? msg.reject.code}: ${reason}`);
      this.inFlight.delete(id);
      this.pump();
    }
  }

  private onBroken(err: grpc.ServiceError | null): void {
    if (!this.call) return;
    this.call.removeAllListeners();
    this.call.on('error', () => {});
    this.call = null;
    this.connected = false;
    this.inFlight.clear(); // they stay in the spool and go again, oldest first
    if (this.stopped) return;
    const fatal = err && (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.PERMISSION_DENIED || err.code === grpc.status.INVALID_ARGUMENT);
    this.lastError = err ? `${grpc.status[err.code] ?? err.code}: ${err.details}` : 'stream ended';
    const hint = err ? tlsFailureHint(err.details, this.opts.tls) : undefined;
    if (hint) this.lastError += ` (${hint})`;
    const delay = this.backoff.next() + (fatal ? 5_000 : 0);
    this.opts.log[fatal ? 'error' : 'warn'](
      { collector: this.opts.address, error: this.lastError, retryInMs: delay },
      'collector unreachable; results stay in the spool, retrying',
    );
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Sends more records while the window has room. Call after appending to the spool. */
  pump(): void {
    if (!this.connected || !this.call) {
      this.notifyIfDrained();
      return;
    }
    if (this.inFlight.size < this.window) {
      const tooBig: string[] = [];
      const unsendable: Array<{ id: string; reason: string }> = [];
      const ready: Sized[] = [];
      for (const record of this.opts.spool.pending(this.window - this.inFlight.size, (id) => this.inFlight.has(id))) {
        const message = toMessage(record);
        // A record that cannot be encoded would throw out of the stream (or break it at every
        // reconnect), and one the collector would refuse for its size would block the spool:
        // both are set aside instead, so the records behind them still go.
        let bytes: number;
        try {
          bytes = this.serialize(message).length;
        } catch (err) {
          unsendable.push({ id: record.id, reason: `cannot be encoded: ${(err as Error).message.slice(0, 200)}` });
          continue;
        }
        if (bytes + 64 > MAX_MESSAGE_BYTES) {
          // + the batch wrapper's few bytes
          tooBig.push(record.id);
          continue;
        }
        this.inFlight.add(record.id);
        ready.push({ message, bytes });
      }
      for (const u of unsendable) {
        this.rejected++;
        this.opts.log.error({ id: u.id, reason: u.reason }, "spool record cannot be sent; set aside in the spool's quarantine.jsonl");
        this.opts.spool.quarantine([u.id], u.reason);
      }
      // A protocol-2 collector takes many records per message; an older one one at a time.
      const messages = this.collectorProtocol >= BATCH_PROTOCOL_VERSION ? packBatches(ready) : ready.map((r) => r.message);
      for (const m of messages) this.call.write(m);
      for (const id of tooBig) {
        this.rejected++;
        this.opts.log.error({ id, limit: MAX_MESSAGE_BYTES }, "record is over the message size limit; set aside in the spool's quarantine.jsonl");
        this.opts.onReject?.(id, 'over the message size limit');
      }
      if (tooBig.length || unsendable.length) {
        this.opts.spool.quarantine(tooBig, `over the ${MAX_MESSAGE_BYTES}-byte message size limit`);
        return this.pump();
      }
    }
    this.notifyIfDrained();
  }

  /** Best-effort heartbeat: not spooled (the next one supersedes it). Resolves true on its ack. */
  sendStatus(status: AgentStatus, timeoutMs = 5000): Promise<boolean> {
    if (!this.connected || !this.call || !status.id) return Promise.resolve(false);
    const id = status.id;
    this.call.write({ status });
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(t);
        this.statusWaiters.delete(id);
        resolve(ok);
      };
      this.statusWaiters.set(id, () => done(true));
    });
  }

  /** Records this process can still send: the spooled ones, but those its disk cannot read. */
  private unsent(): number {
    const s = this.opts.spool.stats();
    return s.spooled - s.unreadable;
  }

  private notifyIfDrained(): void {
    if (this.unsent() > 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /** Resolves when every spooled record it can read was acknowledged; false on timeout. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.unsent() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  isConnected(): boolean {
    return this.connected;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.call) {
      const call = this.call;
      this.call = null;
      call.removeAllListeners();
      call.on('error', () => {});
      call.end();
      call.cancel();
    }
    this.client.close();
  }
}

/** The collector's limit on one message (grpc.max_receive_message_length). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

function toMessage(record: SpoolRecord): AgentMessage {
  return record.kind === 'result' ? { result: record.body } : { sample: record.body };
}
