// A loopback HTTP proxy in front of a private influxd that holds the requests a test names (for
// example the overhead calculator's reads) until it is closed; everything else passes through.
// It makes "work still owed when the collector stops" a state the test arranges, not a race
// against how fast this machine computes. Closing it drops the held requests and refuses new ones.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COMPARED_FIELDS } from '../../collector/overhead/rows.js';
import { quoteIdent } from '../../schema/influxql.js';

export interface HoldProxy {
  url: string;
  /** How many requests are held now. */
  held(): number;
  /** Resolves once a request is held; rejects after timeoutMs if none came (the test fails, naming what was not held). */
  waitHeld(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Form and query-string encoding undone; text that is not URL-encoded (a line-protocol write) as it is. */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * The overhead step's reads of the results (collector/overhead/batch.ts, through the store's
 * `sysbenchSelection`: `SELECT <COMPARED_FIELDS> FROM "sysbench" WHERE …`) and the catch-up's pages
 * (`SELECT * FROM "sysbench" WHERE …`); the report reads other fields, so it is not held. A matcher
 * for holdProxy: holding these holds the overhead step.
 */
const comparedSelect = `SELECT ${COMPARED_FIELDS.map(quoteIdent).join(', ')} FROM "sysbench" WHERE`;
export const calculatorReads = (text: string): boolean => text.includes('SELECT * FROM "sysbench" WHERE') || text.includes(comparedSelect);

/** `hold` sees the method, the path with its query string, and the body, all URL-decoded. */
export async function holdProxy(target: string, hold: (text: string) => boolean): Promise<HoldProxy> {
  const to = new URL(target);
  const held: ServerResponse[] = [];
  let markHeld!: () => void;
  const firstHeld = new Promise<void>((r) => (markHeld = r));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = decoded(`${req.method} ${req.url} ${body.toString()}`);
      if (hold(text)) {
        held.push(res);
        markHeld();
        return;
      }
      const fwd = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held.length,
    waitHeld: (timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`holdProxy: no request to hold came in ${timeoutMs / 1000} s`)), timeoutMs);
        void firstHeld.then(() => {
          clearTimeout(t);
          resolve();
        });
      }),
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}
