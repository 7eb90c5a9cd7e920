// The fleet bench's ack wait (bench/sim-agent.ts, bench/collector-watch.ts): a stream paused
// behind owed work acks nothing for minutes, which must not fail the run while the collector is
// alive and its owed work changes; a dead or stuck collector still fails it, saying why. Against a
// scripted gRPC collector on 127.0.0.1 whose acks the test gives; the clock of the stuck check is
// injected (no sleeps decide anything; the quiet period is a few ms so the test is quick).
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContract, type AgentMessage__Output, type CollectorMessage } from '../proto/index.js';
import { collectorStuck } from '../bench/collector-watch.js';
import { simHello, simMessage } from '../bench/messages.js';
import { SimAgent } from '../bench/sim-agent.js';

type ServerCall = grpc.ServerDuplexStream<AgentMessage__Output, CollectorMessage>;

/** A collector that welcomes with protocol 1 (one message per record) and acks only when told. */
async function scripted(): Promise<{ address: string; ackAll(): void; stop(): void }> {
  const server = new grpc.Server();
  const calls: ServerCall[] = [];
  const pending: string[] = [];
  server.addService(loadContract().virtoverhead.v1.Collector.service, {
    Stream: (call: ServerCall) => {
      calls.push(call);
      call.on('data', (m: AgentMessage__Output) => {
        if (m.hello) call.write({ welcome: { protocol_version: 1, collector_version: 'scripted' } });
        const id = m.result?.id ?? m.sample?.id ?? m.status?.id;
        if (id) pending.push(id);
      });
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    ackAll: () => calls.at(-1)!.write({ ack: { ids: pending.splice(0) } }),
    stop: () => server.forceShutdown(),
  };
}

const messages = Array.from({ length: 12 }, (_, k) => simMessage('sim-0001', k, 1_767_225_600_000_000_000n));
const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

async function agent() {
  const c = await scripted();
  const a = new SimAgent(c.address, simHello('sim-0001', 'g'));
  cleanup.push(
    () => a.close(),
    () => c.stop(),
  );
  await a.connect();
  return { c, a };
}

describe("the simulated agents' ack wait", () => {
  it('no ack for several quiet periods while the collector still works: the send waits, and resolves when the acks come', async () => {
    const { c, a } = await agent();
    let asked = 0;
    const sent = a.send(messages, {
      quietMs: 5,
      stuck: async () => {
        // The owed work drained: the paused stream is acked — at every ask from the third on, since
        // under load the scripted collector may not have received all 12 messages by the third
        // (acking once then left the rest unacked for good: a 60 s timeout seen at load ~15).
        if (++asked >= 3) c.ackAll();
        return undefined;
      },
    });
    await expect(sent).resolves.toMatchObject({ sent: 12, acked: 12, rejected: [] });
    expect(asked).toBeGreaterThanOrEqual(3);
  });

  it('a stuck collector fails the send with its reason; without a check, one quiet period does', async () => {
    const { a } = await agent();
    await expect(a.send(messages, { quietMs: 5, stuck: async () => 'its 4 owed batches did not change' })).rejects.toThrow(
      'sim-0001: 12 messages not acknowledged: no ack for 5 ms and its 4 owed batches did not change',
    );
    const other = await agent();
    await expect(other.a.send(messages, { quietMs: 5 })).rejects.toThrow('no ack within 5 ms');
  });
});

describe('collectorStuck', () => {
  const QUIET = 300_000;
  it('stuck only when the owed markers have not changed for the quiet period and it did not work; alive is this process', async () => {
    let owed = 5;
    let t = 0;
    let cpu = 0;
    let reads = 0;
    const stuck = collectorStuck(
      { pid: process.pid, influxUrl: '', database: '' },
      QUIET,
      async () => (reads++, owed),
      () => t,
      () => cpu,
    );
    expect(await stuck()).toBeUndefined(); // first look
    t = 200_000;
    owed = 4;
    expect(await stuck()).toBeUndefined(); // draining
    t = 450_000;
    expect(await stuck()).toBeUndefined(); // unchanged for 250 s
    t = 500_000;
    cpu = 14_999; // just under 5 % of the 300 s
    expect(await stuck()).toBe(`the collector (pid ${process.pid}) is alive but its 4 owed batches did not change for 300 s, using 15.0 s of CPU meanwhile`);
    // One computation of a whole tick: markers unchanged for minutes, the collector busy.
    cpu = 15_000 + 100; // 5 % of 300 s since t = 200 000, and a little
    expect(await stuck()).toBeUndefined();
    t = 700_000; // a new quiet period began at 500 000
    expect(await stuck()).toBeUndefined();
    t = 800_000;
    cpu += 60_000; // 20 % of a core over 300 s
    expect(await stuck()).toBeUndefined();
    t = 1_100_000;
    expect(await stuck()).toBe(`the collector (pid ${process.pid}) is alive but its 4 owed batches did not change for 300 s, using 0.0 s of CPU meanwhile`);
    owed = 0;
    t = 1_200_000;
    expect(await stuck()).toBeUndefined();
    t = 1_500_000;
    expect(await stuck()).toBe(`the collector (pid ${process.pid}) owes no work, yet acks nothing for 300 s, using 0.0 s of CPU meanwhile`);
    // A thousand agents asking at once: one read.
    reads = 0;
    await Promise.all(Array.from({ length: 1000 }, () => stuck()));
    expect(reads).toBe(1);
  });

  it('reads the real CPU time of the process it watches', async () => {
    let t = 0;
    const stuck = collectorStuck(
      { pid: process.pid, influxUrl: '', database: '' },
      100,
      async () => 3,
      () => t,
    );
    expect(await stuck()).toBeUndefined();
    const end = performance.now() + 300; // this process busy for 0.3 s: far above 5 % of 0.1 s
    while (performance.now() < end);
    t = 100;
    expect(await stuck()).toBeUndefined();
    t = 1_000_000; // idle (well under 5 % of 1 000 s)
    expect(await stuck()).toMatch(/is alive but its 3 owed batches did not change for 1000 s, using 0\.\d s of CPU/);
  });

  it('a collector that is not running is stuck at once', async () => {
    const pid = 2 ** 22 + 7; // above Linux's largest pid: no such process
    expect(await collectorStuck({ pid, influxUrl: '', database: '' }, QUIET, async () => 5)()).toBe(`the collector (pid ${pid}) is not running`);
  });
});
