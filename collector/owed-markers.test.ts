// OwedMarkers: unique, ordered marker times; deletes coalesced to the newest marker whose
// predecessors are all settled, so a marker is never deleted before its results were computed.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RawQuery } from './influx/http.js';
import { collectorMarkerId, OwedMarkers } from './owed-markers.js';

function setup() {
  const queries: string[] = [];
  let release: (() => void) | null = null;
  const query: RawQuery = async (q) => {
    queries.push(q);
    await new Promise<void>((r) => (release = r));
    return { results: [{}] };
  };
  const markers = new OwedMarkers('h:1:2', query, pino({ level: 'silent' }));
  return { markers, queries, release: () => release?.() };
}
const timeOf = (line: string) => BigInt(line.split(' ').pop()!);
const one = (...ts: string[]) => new Map([['a1', ts]]);

describe('OwedMarkers', () => {
  it('marker times are unique and increasing, and carry the collector tag and the range', () => {
    const { markers } = setup();
    const a = markers.mark(one('5', '3'));
    const b = markers.mark(one('9'));
    expect(a.line).toMatch(/^overhead_owed,agent=a1,collector=h:1:2 from_ns="3",to_ns="5",results=2 \d+$/);
    expect(timeOf(b.line)).toBeGreaterThan(timeOf(a.line));
    expect(markers.pending).toBe(2);
  });

  // Issue 23 item 3: a batch that mixed one agent's replayed week-old result with others' current
  // ones made one marker span the week for every agent.
  it('one line per agent, each its own range, at the one marker time; agent ids escaped as line protocol wants', () => {
    const { markers } = setup();
    const m = markers.mark(
      new Map([
        ['old', ['100', '5000000']],
        ['new one,x=1', ['4999990', '5000001']],
      ]),
    );
    const lines = m.line.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^overhead_owed,agent=old,collector=h:1:2 from_ns="100",to_ns="5000000",results=2 (\d+)$/);
    expect(lines[1]).toMatch(/^overhead_owed,agent=new\\ one\\,x\\=1,collector=h:1:2 from_ns="4999990",to_ns="5000001",results=2 (\d+)$/);
    expect(timeOf(lines[0]!)).toBe(timeOf(lines[1]!));
    expect(markers.pending).toBe(1);
  });

  it('settled out of order: nothing is deleted until every earlier marker is settled; then one DELETE', async () => {
    const { markers, queries, release } = setup();
    const [a, b, c] = [markers.mark(one('1')), markers.mark(one('2')), markers.mark(one('3'))];
    b.settle();
    c.settle();
    expect(queries).toEqual([]); // a is still owed: b and c stay (a DELETE up to c would take a)
    a.settle();
    expect(queries).toEqual([`DELETE FROM "overhead_owed" WHERE "collector" = 'h:1:2' AND time <= ${timeOf(c.line)}`]);
    expect(markers.pending).toBe(0);
    release();
    await markers.flush();
  });

  it('settles during a DELETE in flight are coalesced into one more DELETE', async () => {
    const { markers, queries, release } = setup();
    const [a, b, c] = [markers.mark(one('1')), markers.mark(one('2')), markers.mark(one('3'))];
    a.settle();
    b.settle();
    c.settle();
    expect(queries).toHaveLength(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(queries[1]).toBe(`DELETE FROM "overhead_owed" WHERE "collector" = 'h:1:2' AND time <= ${timeOf(c.line)}`);
    release();
    await markers.flush();
    expect(queries).toHaveLength(2);
  });

  it('collectorMarkerId: only characters safe in a tag and in InfluxQL quotes', () => {
    expect(collectorMarkerId("we'ird host,x=1", 42, 7)).toBe('we_ird_host_x_1:42:7');
  });
});
