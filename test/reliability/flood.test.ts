// Bounded under abuse (issue 16, item 5), against the real collector process and a real influxd:
// 4 clients flooding invalid records as fast as the collector takes them, and connections that
// never open a stream. Figures: the collector's peak RSS (VmHWM) and how fast its log grew.
// CI runs the flood for VO_FLOOD_SECONDS (default 10 s); the 2-minute figures come from
// VO_FLOOD_SECONDS=120. Log growth is held to the 1 MB a minute; the peak RSS (VmHWM)
// to the 300 MB.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentMessage } from '../../proto/index.js';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { query, sleep, startCollectorProc, stopProc, type CollectorProc } from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

const SECONDS = Number(process.env.VO_FLOOD_SECONDS ?? 10);
const fx = influxdFixture('vo-rel-flood-');
let collector: CollectorProc;

beforeAll(async () => {
  collector = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', fx.influxd.url, '--idle-timeout', '2s']);
});
afterAll(async () => {
  await stopProc(collector);
});

function memoryKiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** A batch of 1000 invalid results (a negative rate), ids unique per client. */
function badBatch(client: number, n: number): AgentMessage {
  const results = Array.from({ length: 1000 }, (_, k) => validResult(`flood-${client}-${n}-${k}`, { fields: { events_per_sec: -1, total_time_s: 1 } }).result!);
  return { batch: { results, samples: [] } };
}

describe('floods and idle connections', () => {
  it(
    `4 clients flooding invalid records for ${SECONDS} s: RSS bounded (target 300 MB), log growth under 1 MB a minute, every record answered, nothing stored`,
    async () => {
      const rssBefore = memoryKiB(collector.pid, 'VmRSS');
      const logBefore = collector.stderr().length + collector.stdout().length;
      const clients = Array.from({ length: 4 }, () => rawClient(collector.address));
      let sent = 0;
      let peakRss = rssBefore;
      const streams = await Promise.all(
        clients.map(async (c, i) => {
          const s = openStream(c);
          s.call.write({ hello: hello({ agent_id: `flooder-${i}`, protocol_version: 2 }) });
          await s.waitFor((m) => Boolean(m.welcome));
          return s;
        }),
      );
      const deadline = Date.now() + SECONDS * 1000;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, memoryKiB(collector.pid, 'VmRSS'))), 250);
      await Promise.all(
        streams.map(async (s, i) => {
          for (let n = 0; Date.now() < deadline; n++) {
            sent += 1000;
            // Respect flow control, as a flooder that wants to stay connected must.
            if (!s.call.write(badBatch(i, n))) await new Promise((r) => s.call.once('drain', r));
          }
        }),
      );
      // Everything sent is answered (one Reject per record), then the streams close.
      const rejectsOf = (s: (typeof streams)[number]) => s.received.filter((m) => m.reject).length;
      for (let i = 0; i < 2400 && streams.reduce((n, s) => n + rejectsOf(s), 0) < sent; i++) await sleep(25);
      clearInterval(sampler);
      const rejected = streams.reduce((n, s) => n + rejectsOf(s), 0);
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.closed));
      for (const c of clients) c.close();
      const hwm = memoryKiB(collector.pid, 'VmHWM');
      const logBytes = collector.stderr().length + collector.stdout().length - logBefore;
      const mbPerMinute = logBytes / 1e6 / (SECONDS / 60);

      // Still serving: a valid result is acked and stored.
      const ok = openStream(rawClient(collector.address));
      ok.call.write({ hello: hello({ agent_id: 'after-flood' }) });
      await ok.waitFor((m) => Boolean(m.welcome));
      ok.call.write(validResult('after-flood-1'));
      await ok.waitFor((m) => Boolean(m.ack?.ids.includes('after-flood-1')));
      ok.close();

      expect(rejected).toBe(sent);
      // The bound (before: about 1 GB; before one-message read-ahead, 171–315 MB).
      expect(hwm / 1024).toBeLessThan(300);
      expect(mbPerMinute).toBeLessThan(1);
      // The aggregated warning comes at the end of the limiter's 10-s window: wait for it.
      const summary = /"msg":"rejected a record \(repeated; summary\)"/;
      for (let i = 0; i < 1200 && !summary.test(collector.stderr()); i++) await sleep(25);
      expect(collector.stderr()).toMatch(summary);
      const stored = await query(fx.influxd.url, `SELECT count("result_id") FROM "sysbench" WHERE "agent" =~ /^flooder/`);
      expect(stored).toHaveLength(0);
      recordFigures(`4 clients flooding invalid records for ${SECONDS} s`, {
        sent,
        acknowledged: 0,
        stored: 0,
        spooled: 0,
        dropped: 0,
        rejected: rejected,
        lost: 0,
        duplicated: 0,
        note: `rejected ${rejected} (every one answered); collector RSS ${(rssBefore / 1024).toFixed(0)} MB before, peak ${(peakRss / 1024).toFixed(0)} MB sampled, VmHWM ${(hwm / 1024).toFixed(0)} MB; log +${(logBytes / 1024).toFixed(0)} KiB = ${mbPerMinute.toFixed(3)} MB/min (before: ~1 GB RSS, 372 MB of log a minute)`,
      });
    },
    (SECONDS + 120) * 1000,
  );

  it('connections that never open a stream (raw TCP, and an HTTP/2 channel with no call) are closed after --idle-timeout', async () => {
    const started = Date.now();
    const raw = connect({ host: '127.0.0.1', port: collector.port });
    const rawClosed = new Promise<number>((resolve) => raw.once('close', () => resolve(Date.now() - started)));
    raw.on('error', () => {});
    raw.resume(); // so that the server's FIN is seen as 'end', then 'close'
    const channel = rawClient(collector.address);
    await new Promise<void>((resolve, reject) => channel.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
    const channelIdle = new Promise<number>((resolve) => {
      const watch = () => {
        const state = channel.getChannel().getConnectivityState(false);
        if (state === grpc.connectivityState.IDLE || state === grpc.connectivityState.TRANSIENT_FAILURE) resolve(Date.now() - started);
        else channel.getChannel().watchConnectivityState(state, Date.now() + 30_000, watch);
      };
      watch();
    });
    const [rawMs, channelMs] = await Promise.all([rawClosed, channelIdle]);
    channel.close();
    recordFigures('connections with no stream: a raw TCP socket that sends nothing, an HTTP/2 channel with no call (--idle-timeout 2s)', {
      sent: 0,
      acknowledged: 0,
      stored: 0,
      spooled: 0,
      dropped: 0,
      rejected: 0,
      lost: 0,
      duplicated: 0,
      note: `closed by the collector after ${(rawMs / 1000).toFixed(1)} s and ${(channelMs / 1000).toFixed(1)} s (before: never)`,
    });
  });
});
