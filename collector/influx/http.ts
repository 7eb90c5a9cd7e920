// InfluxDB 1.x's HTTP API as the collector uses it: /write with line protocol (also served by
// Enterprise and InfluxDB 3) and /query with InfluxQL, times as exact nanosecond strings.
// Credentials come from the URL's user:password@ as basic auth. Every failure is an
// InfluxWriteError carrying the HTTP status (null: no answer), which the batch writer reads
// to decide whether the data or the server is at fault.
import type { Dispatcher } from 'undici';

// undici is loaded by the first request, not with this module: the report's CLI reads through
// node:http (node-query.ts) and never needs it, and loading it took ~180 ms of each report's start.
let undici: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undici ??= import('undici'));

export interface InfluxTarget {
  /** Base URL, e.g. http://127.0.0.1:8086; user:password@ in it becomes basic auth. */
  url: string;
  database: string;
  /** PEM of the CA that signed an https InfluxDB's certificate (instead of the system's CAs). */
  ca?: string;
}

/** InfluxDB's JSON answer to a query. */
export interface QueryAnswer {
  results?: Array<{
    statement_id?: number;
    series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
    error?: string;
  }>;
  error?: string;
}

/** One InfluxQL request (statements separated by ';'), answered as InfluxDB's JSON. */
export type RawQuery = (q: string) => Promise<QueryAnswer>;

/**
 * One InfluxQL request answered in parts (InfluxDB's chunked answer: node-query.ts), each handed
 * to `each` in order as it arrives; a statement's series, or a long series, may span several.
 */
export type ChunkedQuery = (q: string, each: (part: QueryAnswer) => void) => Promise<void>;

export class InfluxWriteError extends Error {
  override name = 'InfluxWriteError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** Base URL without credentials, and the basic-auth header the URL's user:password@ asks for. */
export function endpointOf(target: InfluxTarget): { base: string; headers: Record<string, string> } {
  const u = new URL(target.url);
  const headers: Record<string, string> = {};
  if (u.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  return { base: `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`, headers };
}

/** An undici dispatcher trusting `ca` when given (undefined: the default one), made on the first request. */
function dispatcherOf(target: InfluxTarget): () => Promise<Dispatcher | undefined> {
  let made: Promise<Dispatcher | undefined> | undefined;
  return () => (made ??= target.ca === undefined ? Promise.resolve(undefined) : loadUndici().then(({ Agent }) => new Agent({ connect: { ca: target.ca } })));
}

/** The error for a request InfluxDB never answered (refused, reset, timed out, TLS refused): status null. */
export function noAnswer(err: unknown): InfluxWriteError {
  const cause = (err as Error & { cause?: unknown }).cause;
  return new InfluxWriteError(`InfluxDB did not answer: ${cause ? String(cause) : (err as Error).message}`, null);
}

/**
 * A query's answer as InfluxDB's JSON with nanosecond epochs. Times are kept as decimal strings:
 * as JSON numbers they would lose their last digits (above 2^53). Any status but 200 throws with
 * status null (never 'permanent'): a failed check holds the batch, it never lets it through.
 */
export function queryAnswer(status: number, text: string): QueryAnswer {
  if (status !== 200) throw new InfluxWriteError(`InfluxDB answered ${status} to a query: ${text.slice(0, 300)}`, null);
  return JSON.parse(text.replace(/\[(-?\d{15,})(?=[,\]])/g, '["$1"'));
}

/**
 * One request with undici's own request(), not fetch(): in the ingest bench's profile fetch's
 * WHATWG layers (Request/Response objects, web streams for the body) cost the collector about
 * as much per request as writing the request itself (issue 26). Times out after 30 s.
 */
async function request(
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; dispatcher?: Dispatcher },
): Promise<{ status: number; text(): Promise<string>; discard(): Promise<void> }> {
  try {
    const res = await (await loadUndici()).request(url, { ...init, signal: AbortSignal.timeout(30_000) });
    return { status: res.statusCode, text: () => res.body.text(), discard: () => res.body.dump() };
  } catch (err) {
    throw noAnswer(err);
  }
}

/** Writes line protocol into a retention policy (undefined: the database's default). */
export type Post = (body: string, policy?: string) => Promise<void>;

/** POSTs line protocol to InfluxDB 1.x's /write (also served by Enterprise and InfluxDB 3). */
export function lineWriter(target: InfluxTarget): Post {
  const { base, headers } = endpointOf(target);
  const dispatcher = dispatcherOf(target);
  const endpoint = `${base}/write?db=${encodeURIComponent(target.database)}&precision=n`;
  const writeHeaders = { ...headers, 'content-type': 'text/plain; charset=utf-8' };
  return async (body, policy) => {
    const res = await request(policy === undefined ? endpoint : `${endpoint}&rp=${encodeURIComponent(policy)}`, {
      method: 'POST',
      headers: writeHeaders,
      body,
      dispatcher: await dispatcher(),
    });
    if (res.status === 204 || res.status === 200) {
      await res.discard();
      return;
    }
    const text = (await res.text()).slice(0, 500);
    throw new InfluxWriteError(`InfluxDB answered ${res.status}: ${text}`, res.status);
  };
}

/** Where queries go: /query with nanosecond epochs. */
export function queryUrl(target: InfluxTarget): string {
  return `${endpointOf(target).base}/query?db=${encodeURIComponent(target.database)}&epoch=ns`;
}

/** Runs InfluxQL and returns InfluxDB's JSON with nanosecond epochs (queryAnswer). */
export function rawQuery(target: InfluxTarget): RawQuery {
  const { headers } = endpointOf(target);
  const dispatcher = dispatcherOf(target);
  const url = queryUrl(target);
  const queryHeaders = { ...headers, 'content-type': 'application/x-www-form-urlencoded' };
  return async (q) => {
    const res = await request(url, {
      method: 'POST',
      headers: queryHeaders,
      body: new URLSearchParams({ q }).toString(),
      dispatcher: await dispatcher(),
    });
    return queryAnswer(res.status, await res.text());
  };
}
