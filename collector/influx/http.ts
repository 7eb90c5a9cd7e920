// InfluxDB 1.x's HTTP API as the collector uses it: /write with line protocol (also served by
// Enterprise and InfluxDB 3) and /query with InfluxQL, times as exact nanosecond strings.
// Credentials come from the URL's user:password@ as basic auth. Every failure is an
// InfluxWriteError carrying the HTTP status (null: no answer), which the batch writer reads
// to decide whether the data or the server is at fault.
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';

export interface InfluxTarget {
  /** Base URL, e.g. http://127.0.0.1:8086; user:password@ in it becomes basic auth. */
  url: string;
  database: string;
  /** PEM of the CA that signed an https InfluxDB's certificate (instead of the system's CAs). */
  ca?: string;
}

/** One InfluxQL request (statements separated by ';'), answered as InfluxDB's JSON. */
export type RawQuery = (q: string) => Promise<{
  results?: Array<{ series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>; error?: string }>;
  error?: string;
}>;

export class InfluxWriteError extends Error {
  override name = 'InfluxWriteError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/**
 * Base URL without credentials, the basic-auth header the URL's user:password@ asks for, and an
 * undici dispatcher trusting `ca` when given (the default one otherwise).
 */
function endpointOf(target: InfluxTarget): { base: string; headers: Record<string, string>; dispatcher?: Dispatcher } {
  const u = new URL(target.url);
  const headers: Record<string, string> = {};
  if (u.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  return {
    base: `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`,
    headers,
    ...(target.ca === undefined ? {} : { dispatcher: new Agent({ connect: { ca: target.ca } }) }),
  };
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
    const res = await undiciRequest(url, { ...init, signal: AbortSignal.timeout(30_000) });
    return { status: res.statusCode, text: () => res.body.text(), discard: () => res.body.dump() };
  } catch (err) {
    const cause = (err as Error & { cause?: unknown }).cause;
    throw new InfluxWriteError(`InfluxDB did not answer: ${cause ? String(cause) : (err as Error).message}`, null);
  }
}

/** Writes line protocol into a retention policy (undefined: the database's default). */
export type Post = (body: string, policy?: string) => Promise<void>;

/** POSTs line protocol to InfluxDB 1.x's /write (also served by Enterprise and InfluxDB 3). */
export function lineWriter(target: InfluxTarget): Post {
  const { base, headers, dispatcher } = endpointOf(target);
  const endpoint = `${base}/write?db=${encodeURIComponent(target.database)}&precision=n`;
  const writeHeaders = { ...headers, 'content-type': 'text/plain; charset=utf-8' };
  return async (body, policy) => {
    const res = await request(policy === undefined ? endpoint : `${endpoint}&rp=${encodeURIComponent(policy)}`, {
      method: 'POST',
      headers: writeHeaders,
      body,
      dispatcher,
    });
    if (res.status === 204 || res.status === 200) {
      await res.discard();
      return;
    }
    const text = (await res.text()).slice(0, 500);
    throw new InfluxWriteError(`InfluxDB answered ${res.status}: ${text}`, res.status);
  };
}

/**
 * Runs InfluxQL and returns InfluxDB's JSON with nanosecond epochs. Times are kept as decimal
 * strings: as JSON numbers they would lose their last digits (above 2^53).
 */
export function rawQuery(target: InfluxTarget): RawQuery {
  const { base, headers, dispatcher } = endpointOf(target);
  const queryHeaders = { ...headers, 'content-type': 'application/x-www-form-urlencoded' };
  return async (q) => {
    const res = await request(`${base}/query?db=${encodeURIComponent(target.database)}&epoch=ns`, {
      method: 'POST',
      headers: queryHeaders,
      body: new URLSearchParams({ q }).toString(),
      dispatcher,
    });
    const text = await res.text();
    // Status null (never 'permanent'): a failed check holds the batch, it never lets it through.
    if (res.status !== 200) throw new InfluxWriteError(`InfluxDB answered ${res.status} to a query: ${text.slice(0, 300)}`, null);
    return JSON.parse(text.replace(/\[(-?\d{15,})(?=[,\]])/g, '["$1"'));
  };
}
