// InfluxQL over node:http(s) for a short-lived command (`report`): it sends a handful of queries,
// so loading undici (~180 ms of its start, http.ts's client for the collector's many requests)
// costs more than undici saves. The same request and answer as http.ts's rawQuery: its URL, basic
// auth, CA, 30 s timeout, errors and exact nanosecond times (http.test.ts runs both).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { endpointOf, noAnswer, queryAnswer, queryUrl, type InfluxTarget, type RawQuery } from './http.js';

export function nodeHttpQuery(target: InfluxTarget): RawQuery {
  const url = new URL(queryUrl(target));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...endpointOf(target).headers, 'content-type': 'application/x-www-form-urlencoded' };
  return (q) =>
    new Promise((resolve, reject) => {
      const body = new URLSearchParams({ q }).toString();
      const req = send(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          ...(target.ca === undefined ? {} : { ca: target.ca }),
          signal: AbortSignal.timeout(30_000),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(noAnswer(err)));
          res.on('end', () => {
            try {
              resolve(queryAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.on('error', (err) => reject(noAnswer(err)));
      req.end(body);
    });
}
