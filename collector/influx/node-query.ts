// InfluxQL over node:http(s) for a short-lived command (`report`): it sends a handful of queries,
// so loading undici (~180 ms of its start, http.ts's client for the collector's many requests)
// costs more than undici saves. The same request and answer as http.ts's rawQuery: its URL, basic
// auth, CA, 30 s timeout, errors and exact nanosecond times (http.test.ts runs both).
// nodeHttpQueryChunks asks for InfluxDB's chunked answer instead (one JSON object per line, a
// series or chunk_size rows each) and hands each part over as it arrives: the report's largest
// answer (a year's days' medians, 4.4 MB) is folded part by part, so it is never one string, one
// regex pass and one parsed tree that must all survive until the last byte came (issue 26).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { endpointOf, noAnswer, queryAnswer, queryUrl, type ChunkedQuery, type InfluxTarget, type RawQuery } from './http.js';

/** Posts `q` to `url` and hands the answer's response to `onResponse`; settles as `onResponse`'s promise does. */
function post(target: InfluxTarget, url: URL, q: string, onResponse: (res: IncomingMessage) => Promise<void>): Promise<void> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = new URLSearchParams({ q }).toString();
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...endpointOf(target).headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        ...(target.ca === undefined ? {} : { ca: target.ca }),
        signal: AbortSignal.timeout(30_000),
      },
      (res) => {
        res.on('error', (err) => reject(noAnswer(err)));
        onResponse(res).then(resolve, (err: unknown) => {
          req.destroy();
          reject(err as Error);
        });
      },
    );
    req.on('error', (err) => reject(noAnswer(err)));
    req.end(body);
  });
}

/** The whole body as text (rejects with noAnswer if the answer breaks off). */
function textOf(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', (err) => reject(noAnswer(err)));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export function nodeHttpQuery(target: InfluxTarget): RawQuery {
  const url = new URL(queryUrl(target));
  return async (q) => {
    let out: ReturnType<typeof queryAnswer> | undefined;
    await post(target, url, q, async (res) => {
      out = queryAnswer(res.statusCode ?? 0, await textOf(res));
    });
    return out!;
  };
}

/**
 * InfluxDB's chunked answer: each line one answer object (http.ts's QueryAnswer, times exact),
 * handed to `each` in order as it arrives; a series longer than `chunkSize` rows comes in several.
 * Any status but 200 throws as queryAnswer does; an error `each` throws ends the request with it.
 */
export function nodeHttpQueryChunks(target: InfluxTarget, chunkSize = 10_000): ChunkedQuery {
  const url = new URL(`${queryUrl(target)}&chunked=true&chunk_size=${chunkSize}`);
  return (q, each) =>
    post(target, url, q, async (res) => {
      if (res.statusCode !== 200) {
        queryAnswer(res.statusCode ?? 0, await textOf(res));
        return;
      }
      await new Promise<void>((resolve, reject) => {
        // A line may be split across reads, and a character across two buffers: decoded as a stream.
        const decoder = new StringDecoder('utf8');
        let rest = '';
        const lines = (text: string) => {
          // A long line (a chunk of 10 000 rows, ~0.5 MB) comes in many reads: only the new text is
          // searched for its end, not the part already carried (split over rest + text each read).
          const end = text.lastIndexOf('\n');
          if (end < 0) {
            rest += text;
            return;
          }
          const parts = (rest + text.slice(0, end)).split('\n');
          rest = text.slice(end + 1);
          for (const line of parts) if (line) each(queryAnswer(200, line));
        };
        res.on('data', (c: Buffer) => {
          try {
            lines(decoder.write(c));
          } catch (err) {
            res.removeAllListeners('data');
            reject(err as Error);
          }
        });
        res.on('error', (err) => reject(noAnswer(err)));
        res.on('end', () => {
          try {
            lines(`${decoder.end()}\n`);
            resolve();
          } catch (err) {
            reject(err as Error);
          }
        });
      });
    });
}
