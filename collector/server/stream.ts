// One agent's stream: hello first (authenticated and validated), then every message is
// validated, written through the batch writer, and acknowledged only after InfluxDB accepted
// it. Invalid messages get a Reject with the reason and nothing is written.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  PROTOCOL_VERSION,
  type AgentMessage__Output,
  type AgentStatus__Output,
  type CollectorMessage,
  type Hello__Output,
  type IntervalSample__Output,
  type Result__Output,
} from '../../proto/index.js';
import { identityTags, StreamEncoder, type EncodedPoint } from '../influx/points.js';
import { chainFields } from '../influx/chain-fields.js';
import { PermanentWriteError, type BatchWriter } from '../influx/writer.js';
import { HistoryConflictError } from '../influx/history.js';
import { LogLimiter } from './log-limit.js';
import { TokenBucket } from './ratelimit.js';
import { grantMismatch, type TokenTable } from './tokens.js';
import { TagBudgets } from './budget.js';
import type { IdleMap } from '../../lib/idle-map.js';
import {
  ValidationError,
  agentClockOffsetSeconds,
  validateHello,
  validateResult,
  validateSample,
  validateStatus,
  checkString,
  clockSkewSeconds,
  wrongClock,
} from './validate.js';
import { MAX_BATCH_RECORDS, RESULT_RATE } from '../../schema/bounds.js';

export type AgentCall = grpc.ServerDuplexStream<AgentMessage__Output, CollectorMessage>;

export interface StreamContext {
  writer: BatchWriter;
  tokens: () => TokenTable | null;
  log: Logger;
  collectorVersion: string;
  ratePerSec: number;
  burst: number;
  /** Results per second after RESULT_RATE.burst (--result-rate). */
  resultRatePerSec?: number;
  /** All open streams, so the server can pause them under backpressure. */
  open: Set<AgentCall>;
  isPressured: () => boolean;
  /**
   * Token buckets by agent id, shared by that agent's streams (a second stream gains no rate);
   * forgotten once the agent is not heard from for a while (a full bucket is what a new one is).
   */
  buckets?: IdleMap<string, TokenBucket>;
  /** Rate-limited warnings shared by all streams (default: one per stream). */
  limiter?: LogLimiter;
  /** Distinct tag values and series per credential, shared by all streams (default: one per stream). */
  budgets?: TagBudgets;
  /** Called with each authorized hello (the collector records the agent's facts). */
  onHello?: (hello: Hello__Output, tags: ReturnType<typeof identityTags>) => void;
}

const HELLO_TIMEOUT_MS = 10_000;

/**
 * Records of one stream written and not yet answered (acked or rejected) before it stops reading
 * (issue 23 item 4). grpc-js reads one message ahead (server.ts); this bounds what a stream holds
 * behind it, in the writer's queue, so that flooding agents are paused each on its own long before
 * their records fill the writer's queue, whose bound ('pressure') pauses every agent.
 */
export const STREAM_MAX_UNANSWERED = 5 * MAX_BATCH_RECORDS;

/** Each open stream's own reasons not to read (answers not drained, rate limit, its unanswered records). */
const holds = new WeakMap<AgentCall, () => boolean>();

/** Resumes a stream the server paused, unless its own state still holds it. */
export function resumeStream(call: AgentCall): void {
  if (!holds.get(call)?.()) call.resume();
}

function bearer(call: AgentCall): string | undefined {
  const v = call.metadata.get('authorization')[0];
  if (typeof v !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/.exec(v);
  return m ? m[1] : undefined;
}

/** The subject CN of the verified client certificate (mutual TLS), if any. */
function clientCertificateName(call: AgentCall): string | undefined {
  const cert = (call as { getAuthContext?: () => { sslPeerCertificate?: { subject?: { CN?: string | string[] } } } }).getAuthContext?.().sslPeerCertificate;
  const cn = cert?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

export function handleStream(call: AgentCall, ctx: StreamContext): void {
  let hello: Hello__Output | null = null;
  let encoder: StreamEncoder | null = null;
  let ended = false;
  /** The agent closed its side: nothing more is read, but the answers still owed go out. */
  let inputEnded = false;
  let ackIds: string[] = [];
  let ackScheduled = false;
  let bucket = new TokenBucket(ctx.ratePerSec, ctx.burst);
  /**
   * Results on their own (schema/bounds.ts RESULT_RATE): each written one owes a computation. A
   * refused result owes nothing and already pays the messages' rate, so it is not counted here.
   */
  let resultsWritten = 0;
  let resultBucket = new TokenBucket(ctx.resultRatePerSec ?? RESULT_RATE.perSec, RESULT_RATE.burst);
  /** The token table this stream was authorized against; a reload (SIGHUP) re-checks it. */
  let authorizedWith: TokenTable | null = null;
  const peer = call.getPeer();
  const log = ctx.log.child({ peer });
  const limiter = ctx.limiter ?? new LogLimiter(log);
  const budgets = ctx.budgets ?? new TagBudgets();
  /** The agent's clock offset from its hello (seconds, + ahead), when it sent its clock. */
  let clockOffsetS: number | undefined;
  /** The stream's identity tags joined: the part of every series key the hello fixes. */
  let identity = '';

  const fail = (code: grpc.status, details: string) => {
    if (ended) return;
    ended = true;
    limiter.warn('closing agent stream', { peer, code: grpc.status[code], reason: details, agent: hello?.agent_id });
    call.emit('error', { code, details } as grpc.ServiceError);
  };
  // Answers the agent does not read are not buffered without bound: reading pauses until they drain.
  let blocked = false;
  /** Paused by the rate limit until its debt is repaid. */
  let rateWait = false;
  /** Records written and not yet answered (STREAM_MAX_UNANSWERED). */
  let unanswered = 0;
  let full = false;
  const held = () => blocked || rateWait || full;
  holds.set(call, held);
  /** Reads again when neither the server (a queue behind) nor this stream holds it. */
  const resumeIfFree = () => {
    if (!ended && !inputEnded && !held() && !ctx.isPressured()) call.resume();
  };
  const send = (msg: CollectorMessage) => {
    if (ended || call.cancelled || call.destroyed) return;
    if (!call.write(msg) && !blocked) {
      blocked = true;
      call.pause();
      call.once('drain', () => {
        blocked = false;
        resumeIfFree();
      });
    }
  };
  const ack = (id: string) => {
    ackIds.push(id);
    if (ackScheduled) return;
    ackScheduled = true;
    setImmediate(() => {
      ackScheduled = false;
      const ids = ackIds;
      ackIds = [];
      if (ids.length) send({ ack: { ids } });
    });
  };
  /** A Reject makes the agent set the record aside: always logged (rate-limited) with its reason. */
  const reject = (id: string, code: grpc.status, reason: string) => {
    limiter.warn('rejected a record', { agent: hello?.agent_id, id: id.slice(0, 80), code: grpc.status[code], reason });
    send({ reject: { id: id.slice(0, 256), code, reason } });
  };

  const helloTimer = setTimeout(() => {
    if (!hello) fail(grpc.status.DEADLINE_EXCEEDED, `no hello within ${HELLO_TIMEOUT_MS / 1000} s`);
  }, HELLO_TIMEOUT_MS);

  /** The credential's grant must cover the hello: agent, group, role, and any bound host or variant. */
  const authorize = (h: Hello__Output): boolean => {
    const table = ctx.tokens();
    authorizedWith = table;
    if (!table) return true;
    const token = bearer(call);
    const cn = token ? undefined : clientCertificateName(call);
    const grant = token ? table.lookup(token) : cn ? table.lookupCertificate(cn) : undefined;
    if (!grant) {
      if (token) fail(grpc.status.UNAUTHENTICATED, 'unknown token');
      else if (cn) fail(grpc.status.UNAUTHENTICATED, `no tokens-file entry for the client certificate '${cn.slice(0, 64)}'`);
      else fail(grpc.status.UNAUTHENTICATED, 'missing token: send "authorization: Bearer <token>" (agent --token-file)');
      return false;
    }
    const mismatch = grantMismatch(grant, h, token ? 'token' : 'client certificate');
    if (mismatch) {
      fail(grpc.status.PERMISSION_DENIED, mismatch);
      return false;
    }
    return true;
  };

  const onHello = (msg: AgentMessage__Output) => {
    try {
      hello = validateHello(msg.hello);
    } catch (err) {
      fail(grpc.status.INVALID_ARGUMENT, (err as Error).message);
      return;
    }
    clearTimeout(helloTimer);
    if (!authorize(hello)) return;
    const tags = identityTags(hello);
    const over = budgets.admit(hello.group, hello.agent_id, tags);
    if (over) {
      fail(grpc.status.RESOURCE_EXHAUSTED, over);
      return;
    }
    identity = Object.values(tags).join('\0');
    clockOffsetS = agentClockOffsetSeconds(hello);
    if (wrongClock(clockOffsetS))
      log.warn(
        { agent: hello.agent_id, group: hello.group, clockOffsetS },
        `the agent's clock is ${Math.abs(clockOffsetS)} s ${clockOffsetS > 0 ? 'ahead of' : 'behind'} the collector's: its records are stored flagged with clock_skew_s`,
      );
    encoder = new StreamEncoder(tags, chainFields(hello));
    shareBuckets();
    log.info(
      { agent: hello.agent_id, group: hello.group, role: hello.role, virt: tags.virt, protocol: hello.protocol_version, agentVersion: hello.agent_version },
      'agent connected',
    );
    ctx.onHello?.(hello, tags);
    send({ welcome: { protocol_version: PROTOCOL_VERSION, collector_version: ctx.collectorVersion } });
  };

  /**
   * The agent's buckets, shared with its other streams: taken from ctx.buckets, or this stream's
   * put there. At every message, so they count as used and stay while the agent is heard from.
   */
  const shareBuckets = () => {
    if (!ctx.buckets || !hello) return;
    const shared = (key: string, own: TokenBucket) => ctx.buckets!.get(key) ?? ctx.buckets!.set(key, own).peek(key)!;
    bucket = shared(hello.agent_id, bucket);
    resultBucket = shared(`results\0${hello.agent_id}`, resultBucket);
  };

  const write = (id: string, point: EncodedPoint) => {
    if (++unanswered >= STREAM_MAX_UNANSWERED && !full) {
      full = true;
      call.pause();
    }
    ctx.writer.write(point, (err) => {
      if (--unanswered <= STREAM_MAX_UNANSWERED / 2 && full) {
        full = false;
        resumeIfFree();
      }
      if (!err) ack(id);
      else if (err instanceof HistoryConflictError) reject(id, grpc.status.ALREADY_EXISTS, err.message);
      else if (err instanceof PermanentWriteError) reject(id, grpc.status.INVALID_ARGUMENT, err.message);
      // Otherwise (shutdown): no ack, the agent keeps it spooled and resends.
    });
  };

  /** A wrong agent clock is not the result's fault: it is stored, flagged and logged (rate-limited). */
  const skew = (id: string, r: { timestamp_ns: string }): number | undefined => {
    const s = clockSkewSeconds(r.timestamp_ns, Date.now(), clockOffsetS);
    if (s !== undefined)
      limiter.warn('record timestamp is implausible (agent clock wrong?): stored with clock_skew_s', {
        agent: hello?.agent_id,
        id: id.slice(0, 80),
        reason: `${s} s from the collector's clock`,
        clockSkewS: s,
      });
    return s;
  };

  /** Why a run record would go over its credential's budget of tag values and series (undefined: within it). */
  const overBudget = (measurement: string, r: { test: string; profile: string; sysbench_version: string }): string | undefined =>
    budgets.admit(
      hello!.group,
      hello!.agent_id,
      { profile: r.profile, sysbench_version: r.sysbench_version },
      `${measurement}\0${identity}\0${r.test}\0${r.profile}\0${r.sysbench_version}`,
    );

  /** One record, on its own: validated, then written and acked — or rejected — by its id. */
  const onRecord = (kind: string | undefined, body: unknown) => {
    const id = body && typeof (body as { id?: unknown }).id === 'string' ? (body as { id: string }).id : '';
    try {
      checkString(id, 'id', 256);
      let over: string | undefined;
      if (kind === 'result') {
        const r = validateResult(body as Result__Output);
        if (!(over = overBudget('sysbench', r))) {
          write(id, encoder!.result(r, skew(id, r)));
          resultsWritten++;
        }
      } else if (kind === 'sample') {
        const s = validateSample(body as IntervalSample__Output);
        if (!(over = overBudget('sysbench_interval', s))) write(id, encoder!.sample(s, skew(id, s)));
      } else if (kind === 'status') write(id, encoder!.status(validateStatus(body as AgentStatus__Output), ctx.writer.held()));
      else if (kind === 'hello') throw new ValidationError('hello sent twice');
      else throw new ValidationError('empty message');
      if (over) reject(id, grpc.status.RESOURCE_EXHAUSTED, over);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      reject(id || '?', grpc.status.INVALID_ARGUMENT, err.message);
    }
  };

  /** Handles a message; returns how many records it carried (for the rate limit). */
  const onMessage = (msg: AgentMessage__Output): number => {
    if (!hello) {
      onHello(msg);
      return 1;
    }
    // A revoked or re-assigned token stops writing at its next message, not at reconnect.
    if (authorizedWith !== ctx.tokens() && !authorize(hello)) return 1;
    if (msg.body !== 'batch') {
      onRecord(msg.body, msg.body ? msg[msg.body] : undefined);
      return 1;
    }
    const batch = msg.batch!;
    const records = batch.results.length + batch.samples.length;
    if (records > MAX_BATCH_RECORDS) {
      for (const r of [...batch.results, ...batch.samples])
        reject(
          typeof r.id === 'string' ? r.id : '?',
          grpc.status.INVALID_ARGUMENT,
          `a batch may carry at most ${MAX_BATCH_RECORDS} records, this one has ${records}`,
        );
      return records;
    }
    for (const r of batch.results) onRecord('result', r);
    for (const s of batch.samples) onRecord('sample', s);
    return records;
  };

  ctx.open.add(call);
  if (ctx.isPressured()) call.pause();
  call.on('data', (msg: AgentMessage__Output) => {
    if (ended || inputEnded) return;
    // The bucket as it was before the message: a hello is paid by the stream's own bucket, then
    // the agent's shared one is used (onHello swaps it).
    shareBuckets();
    const paying = bucket;
    const before = resultsWritten;
    const records = onMessage(msg);
    const wait = Math.max(paying.take(records), resultBucket.take(resultsWritten - before));
    if (wait > 0 && !rateWait) {
      rateWait = true;
      call.pause();
      setTimeout(() => {
        rateWait = false;
        resumeIfFree();
      }, wait).unref();
    }
  });
  const cleanup = () => {
    clearTimeout(helloTimer);
    ctx.open.delete(call);
  };
  call.on('end', () => {
    cleanup();
    if (ended || inputEnded) return;
    inputEnded = true;
    // Acks for writes still in progress go out before our side closes: `ended` is set only
    // then, since send() drops everything once it is.
    const finish = (): void => {
      if (ended) return;
      if (call.cancelled || call.destroyed) {
        ended = true; // nobody left to answer
        return;
      }
      if (ctx.writer.queued() > 0 || ackScheduled || ackIds.length > 0) {
        setTimeout(finish, 20);
        return;
      }
      ended = true;
      call.end();
    };
    setImmediate(finish);
  });
  call.on('cancelled', cleanup);
  call.on('error', cleanup);
}
