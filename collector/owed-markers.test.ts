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

describe('OwedMarkers', () => {
  it('marker times are unique and increasing, and carry the collector tag and the range', () => {
    const { markers } = setup();
    const a = markers.mark(['5', '3']);
    const b = markers.mark(['9']);
    expect(a.line).toMatch(/^overhead_owed,collector=h:1:2 from_ns="3",to_ns="5",results=2 \d+$/);
    expect(timeOf(b.line)).toBeGreaterThan(timeOf(a.line));
    expect(markers.pending).toBe(2);
  });

  it('settled out of order: nothing is deleted until every earlier marker is settled; then one DELETE', async () => {
    const { markers, queries, release } = setup();
    const [a, b, c] = [markers.mark(['1']), markers.mark(['2']), markers.mark(['3'])];
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
    const [a, b, c] = [markers.mark(['1']), markers.mark(['2']), markers.mark(['3'])];
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
