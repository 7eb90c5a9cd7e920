// The collector's InfluxDB HTTP client (http.ts) against a scripted HTTP server on 127.0.0.1 in
// this process (a real socket; the real influxd path is covered by store.influx.test.ts and the
// system tier). What the batch writer relies on: a write resolves only on 204/200, every other
// answer throws with its status (400 is the data's fault, the rest the server's), no answer
// throws with status null; basic auth from the URL; query times kept exact as strings.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxWriteError, lineWriter, rawQuery } from './http.js';
import { nodeHttpQuery, nodeHttpQueryChunks } from './node-query.js';

interface Seen {
  url: string;
  authorization?: string;
  body: string;
}
let server: Server;
let base = '';
const seen: Seen[] = [];
/** The answer to the next request: status and body. */
let answer: { status: number; body: string; pieces?: Array<string | Buffer> } = { status: 204, body: '' };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
      res.statusCode = answer.status;
      // Written in the pieces given, each flushed on its own (a chunked answer arrives so).
      const pieces = answer.pieces ?? [answer.body];
      const next = (i: number): void => {
        if (i === pieces.length) return void res.end();
        res.write(pieces[i]!, () => setTimeout(() => next(i + 1), 5));
      };
      next(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const failure = async (p: Promise<unknown>): Promise<InfluxWriteError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InfluxWriteError);
  return err as InfluxWriteError;
};

describe('lineWriter', () => {
  it('posts the lines to /write with the policy and basic auth, and resolves on 204', async () => {
    answer = { status: 204, body: '' };
    const post = lineWriter({ url: `http://us%40er:p%3Ass@${base.slice(7)}`, database: 'd b' });
    await post('m v=1 1\nm v=2 2', 'samples');
    const last = seen.at(-1)!;
    expect(last.url).toBe('/write?db=d%20b&precision=n&rp=samples');
    expect(last.body).toBe('m v=1 1\nm v=2 2');
    expect(Buffer.from(last.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('us@er:p:ss');
  });

  it.each([400, 401, 404, 500, 503])('throws on %i with that status and what InfluxDB said', async (status) => {
    answer = { status, body: `{"error":"refused ${status}"}` };
    const err = await failure(lineWriter({ url: base, database: 'd' })('m v=1 1'));
    expect(err.status).toBe(status);
    expect(err.message).toBe(`InfluxDB answered ${status}: {"error":"refused ${status}"}`);
  });

  it('no answer (nothing listening) throws with status null', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(lineWriter({ url: `http://127.0.0.1:${port}`, database: 'd' })('m v=1 1'));
    expect(err.status).toBeNull();
    expect(err.message).toMatch(/^InfluxDB did not answer: .*ECONNREFUSED/);
  });
});

// The collector's query (undici) and the report's (node:http, node-query.ts): one request and answer.
describe.each([
  ['rawQuery', rawQuery],
  ['nodeHttpQuery', nodeHttpQuery],
])('%s', (_name, queryOf) => {
  it('posts q with basic auth, and keeps nanosecond times exact (as strings)', async () => {
    answer = { status: 200, body: '{"results":[{"series":[{"name":"m","columns":["time","v"],"values":[[1767225600123456789,1.5]]}]}]}' };
    const out = await queryOf({ url: `http://us%40er:p%3Ass@${base.slice(7)}`, database: 'd b' })('SELECT v FROM m');
    expect(seen.at(-1)!.url).toBe('/query?db=d%20b&epoch=ns');
    expect(new URLSearchParams(seen.at(-1)!.body).get('q')).toBe('SELECT v FROM m');
    expect(Buffer.from(seen.at(-1)!.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('us@er:p:ss');
    expect(out.results![0]!.series![0]!.values).toEqual([['1767225600123456789', 1.5]]);
  });

  it('any status but 200 throws with status null (a failed check holds the batch, never lets it through)', async () => {
    answer = { status: 400, body: 'bad query' };
    const err = await failure(queryOf({ url: base, database: 'd' })('SELEC'));
    expect(err.status).toBeNull();
    expect(err.message).toBe('InfluxDB answered 400 to a query: bad query');
  });

  it('no answer (nothing listening) throws with status null', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(queryOf({ url: `http://127.0.0.1:${port}`, database: 'd' })('SELECT v FROM m'));
    expect(err.status).toBeNull();
    expect(err.message).toMatch(/^InfluxDB did not answer: .*ECONNREFUSED/);
  });
});

describe('nodeHttpQueryChunks', () => {
  const part = (id: number, agent: string, values: string) =>
    `{"results":[{"statement_id":${id},"series":[{"name":"m","tags":{"agent":"${agent}"},"columns":["time","v"],"values":[${values}]${id === 0 ? ',"partial":true' : ''}}]}]}\n`;

  it('asks for the chunked answer and hands over each line as it arrives, whole, with exact times, however the reads split it', async () => {
    const lines = part(0, 'ä', '[1767225600123456789,1.5]') + part(0, 'ä', '[1767225600123456790,2.5]') + part(1, 'b', '[1767225600123456791,3]');
    const bytes = Buffer.from(lines, 'utf8');
    const cut = bytes.indexOf(Buffer.from('ä', 'utf8')) + 1; // inside the two bytes of 'ä'
    // The first line over three reads (two without its end), the character cut between the second and third.
    answer = { status: 200, body: '', pieces: [bytes.subarray(0, 10), bytes.subarray(10, cut), bytes.subarray(cut, 150), bytes.subarray(150)] };
    const got: unknown[] = [];
    await nodeHttpQueryChunks({ url: base, database: 'd' }, 7)('SELECT v FROM m; SELECT v FROM n', (a) => got.push(a));
    expect(seen.at(-1)!.url).toBe('/query?db=d&epoch=ns&chunked=true&chunk_size=7');
    expect(got).toEqual(
      lines
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l.replace(/\[(\d+),/, '["$1",'))),
    );
    expect(got.map((a) => (a as { results: Array<{ series: Array<{ tags: object; values: unknown[][] }> }> }).results[0]!.series[0]!.values[0]![0])).toEqual([
      '1767225600123456789',
      '1767225600123456790',
      '1767225600123456791',
    ]);
    expect((got[0] as { results: Array<{ series: Array<{ tags: object }> }> }).results[0]!.series[0]!.tags).toEqual({ agent: 'ä' });
  });

  it('any status but 200 throws as a whole answer does; an error of the caller ends the request with it', async () => {
    answer = { status: 400, body: 'bad query' };
    const err = await failure(nodeHttpQueryChunks({ url: base, database: 'd' })('SELEC', () => undefined));
    expect(err.message).toBe('InfluxDB answered 400 to a query: bad query');
    answer = { status: 200, body: '', pieces: [part(0, 'a', '[1,1]'), part(1, 'b', '[2,2]')] };
    let calls = 0;
    await expect(
      nodeHttpQueryChunks({ url: base, database: 'd' })('SELECT v FROM m', () => {
        calls++;
        throw new Error('refused by the caller');
      }),
    ).rejects.toThrow('refused by the caller');
    expect(calls).toBe(1);
  });
});
