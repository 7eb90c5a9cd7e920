// Scale-out: two collector processes against ONE InfluxDB, simulated agents split between
// them (real gRPC clients speaking the real protocol), and one agent failing over from the
// first collector to the second and resending records the first had already written — as an
// agent behind a load balancer does when its connection moves. Nothing may be missing and
// nothing duplicated: the collectors share no state, and a resend keeps its timestamp.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { influxdFixture } from './support/fixture.js';
import { simAgentId, simHello, simMessage } from '../bench/messages.js';
import { SimAgent } from '../bench/sim-agent.js';
import { MAIN } from './support/cli.js';
import { measurementRef } from '../schema/retention.js';

/** Interval samples live in their own retention policy (schema/retention.ts). */
const SAMPLES = measurementRef('sysbench_interval');

const fx = influxdFixture('vo-scaleout-');
const DATABASE = 'scaleout';
const AGENTS = 8; // sim-0000 .. sim-0007; even ones to collector A, odd ones to collector B
const PER_AGENT = 110; // messages 0..109: every 11th (k = 10, 21, ..., 109) a result → 10 results, 100 samples
const FAILOVER = 'failover-agent';
// The failover agent sends k = 0..109 to A, then k = 50..159 to B (50..109 resent).
// Distinct k = 0..159: results at k = 10, 21, ..., 153 → 14; samples 160 - 14 = 146.
const baseNs = (BigInt(Date.now()) - 600_000n) * 1_000_000n;

const collectors: Array<{ child: ChildProcess; address: string }> = [];

function startCollectorProcess(influxUrl: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [MAIN, 'collector', '--listen', '127.0.0.1:0', '--influx', influxUrl, '--database', DATABASE, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector pid ${child.pid} printed no address in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${err}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  process.kill(child.pid!, 'SIGTERM');
  await closed;
}

async function sendAll(address: string, agentId: string, from: number, to: number): Promise<number> {
  const agent = new SimAgent(address, simHello(agentId, 'scaleout'), 64);
  try {
    await agent.connect();
    const msgs = Array.from({ length: to - from }, (_, i) => simMessage(agentId, from + i, baseNs));
    const r = await agent.send(msgs);
    expect(r.rejected).toEqual([]);
    return r.acked;
  } finally {
    agent.close();
  }
}

type Count = { n: number };
async function count(q: string): Promise<number> {
  const rows = (await influxClient(fx.influxd.url, DATABASE).query(q)) as unknown as Count[];
  return rows[0]?.n ?? 0;
}

beforeAll(async () => {
  collectors.push(await startCollectorProcess(fx.influxd.url), await startCollectorProcess(fx.influxd.url));
  const acked = await Promise.all(Array.from({ length: AGENTS }, (_, i) => sendAll(collectors[i % 2]!.address, simAgentId(i), 0, PER_AGENT)));
  expect(acked).toEqual(Array(AGENTS).fill(PER_AGENT));
  expect(await sendAll(collectors[0]!.address, FAILOVER, 0, 110)).toBe(110);
  expect(await sendAll(collectors[1]!.address, FAILOVER, 50, 160)).toBe(110);
}, 120_000);

afterAll(async () => {
  for (const c of collectors) await stopProcess(c.child);
});

describe('two collectors, one InfluxDB', () => {
  it('the two collectors are separate processes on separate ports', () => {
    expect(collectors).toHaveLength(2);
    expect(collectors[0]!.address).not.toBe(collectors[1]!.address);
    expect(collectors[0]!.child.pid).not.toBe(collectors[1]!.child.pid);
  });

  it('every agent has all of its points, once', async () => {
    for (let i = 0; i < AGENTS; i++) {
      const id = simAgentId(i);
      expect(await count(`SELECT count(sample_id) AS n FROM ${SAMPLES} WHERE agent = '${id}'`), id).toBe(100);
      expect(await count(`SELECT count(result_id) AS n FROM sysbench WHERE agent = '${id}'`), id).toBe(10);
    }
  });

  it('a failover resend to the other collector overwrites instead of duplicating', async () => {
    expect(await count(`SELECT count(sample_id) AS n FROM ${SAMPLES} WHERE agent = '${FAILOVER}'`)).toBe(146);
    expect(await count(`SELECT count(result_id) AS n FROM sysbench WHERE agent = '${FAILOVER}'`)).toBe(14);
  });

  it('no id appears twice and the totals add up', async () => {
    const samples = AGENTS * 100 + 146;
    const results = AGENTS * 10 + 14;
    expect(await count(`SELECT count(sample_id) AS n FROM ${SAMPLES}`)).toBe(samples);
    expect(await count(`SELECT count(distinct(sample_id)) AS n FROM ${SAMPLES}`)).toBe(samples);
    expect(await count(`SELECT count(result_id) AS n FROM sysbench`)).toBe(results);
    expect(await count(`SELECT count(distinct(result_id)) AS n FROM sysbench`)).toBe(results);
  });
});
