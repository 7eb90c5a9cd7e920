// When the next scheduled run starts: every interval plus a random jitter, so that many
// guests on one host do not all start sysbench at the same second (Telegraf's collection_jitter).
export function nextDelayMs(intervalMs: number, jitterMs: number, random: () => number = Math.random): number {
  return intervalMs + Math.floor(random() * jitterMs);
}

/** Sleeps, waking early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
