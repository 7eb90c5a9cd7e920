// The collector's gRPC health says NOT_SERVING while InfluxDB has refused every write (or not
// answered) for longer than `afterMs`: a collector that acks nothing must not look healthy to
// the load balancer, the compose healthcheck or `virt-overhead health` (issue 23 item 8). Read
// from the batch writer, which knows since when its writes have failed; SERVING again with the
// first write InfluxDB accepts. An idle collector (nothing to write) stays SERVING: nothing waits.
import type { Logger } from 'pino';

export interface StoringWatch {
  stop(): void;
}

export function watchStoring(
  writer: { failingSinceMs: number; heldReason: string },
  setServing: (serving: boolean) => void,
  afterMs: number,
  log: Logger,
  everyMs = Math.min(1000, Math.max(100, afterMs / 4)),
): StoringWatch {
  let serving = true;
  const timer = setInterval(() => {
    const failingMs = writer.failingSinceMs ? Date.now() - writer.failingSinceMs : 0;
    const ok = failingMs <= afterMs;
    if (ok === serving) return;
    serving = ok;
    setServing(ok);
    if (ok) log.info('InfluxDB takes writes again: health SERVING');
    else
      log.error(
        { failingS: Math.round(failingMs / 1000), reason: writer.heldReason },
        'InfluxDB has refused or not answered every write for too long: health NOT_SERVING',
      );
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
