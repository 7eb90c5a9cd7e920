// A raw gRPC client on the wire contract (loadContract()), for sending what a well-behaved
// agent never would: malformed messages, wrong tokens, no certificate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { startLocalStack, type LocalStack } from '../../collector/stack.js';
import { loadContract, type AgentMessage, type CollectorMessage__Output, type Hello } from '../../proto/index.js';

export interface RawStream {
  call: grpc.ClientDuplexStream<AgentMessage, CollectorMessage__Output>;
  received: CollectorMessage__Output[];
  /** Resolves with the stream's final status (code 0 = OK). */
  closed: Promise<{ code: number; details: string }>;
  /** Waits until `count` messages matching pred arrived (or the stream closed). */
  waitFor(pred: (m: CollectorMessage__Output) => boolean, count?: number, timeoutMs?: number): Promise<CollectorMessage__Output[]>;
  close(): void;
}

export function rawClient(address: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}) {
  const { Collector } = loadContract().virtoverhead.v1;
  return new Collector(address, creds, options);
}

export function openStream(client: ReturnType<typeof rawClient>, token?: string): RawStream {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  const call = client.Stream(md);
  const received: CollectorMessage__Output[] = [];
  const listeners = new Set<() => void>();
  let done = false;
  const closed = new Promise<{ code: number; details: string }>((resolve) => {
    call.on('status', (s: grpc.StatusObject) => {
      done = true;
      for (const l of listeners) l();
      resolve({ code: s.code, details: s.details });
    });
  });
  call.on('error', () => {}); // the status event carries the outcome
  call.on('data', (m: CollectorMessage__Output) => {
    received.push(m);
    for (const l of listeners) l();
  });
  return {
    call,
    received,
    closed,
    waitFor(pred, count = 1, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hits = received.filter(pred);
          if (hits.length >= count || done) {
            listeners.delete(check);
            clearTimeout(t);
            if (hits.length >= count) resolve(hits);
            else reject(new Error(`stream closed with ${hits.length}/${count} expected messages`));
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out with ${received.filter(pred).length}/${count} expected messages`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close() {
      call.end();
    },
  };
}

export function hello(over: Partial<Hello> = {}): Hello {
  return {
    protocol_version: 1,
    agent_id: 'raw',
    hostname: 'raw-host',
    group: 'rel',
    role: 'guest',
    variant: 'raw',
    host: { os: 'linux', kernel: '6.1', arch: 'x64', cpu_model: 'test', cpus: 2, memory_bytes: '1024' },
    environment: { virt: 'none', container: 'docker', kvm: 'absent', cpuid_signatures: [], detection_json: '{}', declared: {} },
    agent_version: 'raw',
    sysbench_version: '1.0.20',
    ...over,
  };
}

let seq = 0n;
/** A valid result with a unique id and timestamp (unless given). */
export function validResult(id: string, over: Record<string, unknown> = {}): AgentMessage {
  seq++;
  return {
    result: {
      id,
      timestamp_ns: String(BigInt(Date.now()) * 1_000_000n + seq),
      run_id: 'raw-run',
      test: 'cpu',
      profile: 'raw',
      trial: 1,
      threads: 1,
      ok: true,
      fields: { events_per_sec: 100, total_time_s: 1 },
      errors: [],
      sysbench_version: '1.0.20',
      ...over,
    },
  };
}

/**
 * A private influxd and collector plus a raw client, started before a test file's tests and
 * stopped after them (everything in one temp folder).
 */
export function rawCollectorFixture(prefix: string): { readonly stack: LocalStack; readonly client: ReturnType<typeof rawClient> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let stack: LocalStack | undefined;
  let client: ReturnType<typeof rawClient> | undefined;
  beforeAll(async () => {
    stack = await startLocalStack({ dataDir: join(dir, 'influx'), log: pino({ level: process.env.VO_DEBUG_LOG ?? 'silent' }, pino.destination(2)) });
    client = rawClient(stack.collectorAddress);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get stack() {
      if (!stack) throw new Error('rawCollectorFixture: used before beforeAll ran');
      return stack;
    },
    get client() {
      if (!client) throw new Error('rawCollectorFixture: used before beforeAll ran');
      return client;
    },
  };
}
