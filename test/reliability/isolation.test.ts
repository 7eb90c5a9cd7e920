// Issue 23 item 5: a point refused or held for its own fault never delays another agent's. Real
// influxd started with max-values-per-tag = 20, the built collector, raw gRPC clients on
// loopback. A guest with a valid credential sends results with a new profile name each (within
// the collector's own budget of 64, past InfluxDB's 20): InfluxDB refuses them for its limit.
// A victim agent of another group keeps sending; its ack latency is measured from its own
// socket, without and with the attacker (figures, not assertions: docs/RELIABILITY.md). The
// check that can fail: the writer never went into retry mode for everyone (before the fix it
// held the whole queue and retried it with backoff, one request every few seconds for all).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { influxdFixture } from '../support/fixture.js';
import { recordFigures } from '../support/figures.js';
import { latencyText, victimPhase } from '../support/victim.js';
import { compareIds, query, sleep, startCollectorProc } from '../support/procs.js';
import { hello, openStream, rawClient, validResult } from '../support/raw-client.js';

// InfluxDB's own limit, lowered so that one agent's profile names pass it.
const fx = influxdFixture('vo-rel-isolation-', { env: { INFLUXDB_DATA_MAX_VALUES_PER_TAG: '20' } });

describe('isolation: one agent over an InfluxDB limit beside a victim', () => {
  it("the attacker's refused points are held on their own; the victim's go on, and the writer never holds everyone", async () => {
    const limited = fx.influxd;
    const c = await startCollectorProc(['--listen', '127.0.0.1:0', '--influx', limited.url]);
    fx.procs.push(c);
    const client = rawClient(c.address);
    const victim = openStream(client);
    victim.call.write({ hello: hello({ agent_id: 'victim', group: 'victims' }) });
    await victim.waitFor((m) => Boolean(m.welcome));
    const quiet = await victimPhase(victim, 'quiet', 4000);

    const evil = openStream(client);
    evil.call.write({ hello: hello({ agent_id: 'evil', group: 'hostile' }) });
    await evil.waitFor((m) => Boolean(m.welcome));
    const evilSent: string[] = [];
    const attack = (async () => {
      for (let i = 0; i < 60; i++) {
        const id = `evil-${i}`;
        evilSent.push(id);
        evil.call.write(validResult(id, { profile: `evil-p${i}`, run_id: 'evil-run' }));
        await sleep(60);
      }
    })();
    const loud = await victimPhase(victim, 'loud', 4000);
    await attack;
    await sleep(1000);
    const evilAcked = new Set(evil.received.flatMap((m) => m.ack?.ids ?? []));
    const evilRejected = evil.received.filter((m) => m.reject).length;
    const rssKb = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'))?.[1]);

    // The victim: every result acked and stored once.
    const victimIds = [...quiet.ids, ...loud.ids];
    expect(quiet.latencies.length + loud.latencies.length).toBe(victimIds.length);
    const vRows = await query(limited.url, `SELECT "result_id" FROM "sysbench" WHERE "agent" = 'victim'`);
    const v = compareIds(
      victimIds,
      vRows.map((r) => String(r.result_id)),
    );
    expect(v).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    // The attacker: some stored, the rest held (no ack, no Reject: its agent keeps them), never lost.
    expect(evilRejected).toBe(0);
    expect(evilAcked.size).toBeLessThan(evilSent.length);
    const eRows = await query(limited.url, `SELECT "result_id" FROM "sysbench" WHERE "agent" = 'evil'`);
    const e = compareIds(
      [...evilAcked],
      eRows.map((r) => String(r.result_id)),
    );
    expect(e).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    // Held on their own: the shared writer never went into retry mode for everyone.
    expect(c.stderr()).toMatch(/for one of its limits: holding it and its ack/);
    expect(c.stderr()).not.toMatch(/holding the points and their acks/);
    victim.close();
    evil.close();
    client.close();
    recordFigures("isolation: a guest's new profile names past InfluxDB's max-values-per-tag (20) beside a victim", {
      sent: victimIds.length + evilSent.length,
      acknowledged: victimIds.length + evilAcked.size,
      stored: vRows.length + eRows.length,
      spooled: evilSent.length - evilAcked.size,
      dropped: 0,
      rejected: 0,
      lost: 0,
      duplicated: v.duplicated + e.duplicated,
      note:
        `attacker: ${evilSent.length} sent, ${evilAcked.size} stored, ${evilSent.length - evilAcked.size} held by the collector on their own (no ack, no Reject; "spooled" here); ` +
        `victim: ${victimIds.length} sent, stored once; victim ack latency without the attacker ${latencyText(quiet.latencies)}, with it ${latencyText(loud.latencies)}; collector peak RSS ${(rssKb / 1024).toFixed(0)} MB`,
    });
  }, 300_000);
});
