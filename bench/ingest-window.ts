// The collector side's window of one ingest run (bench/ingest.bench.ts): from "go" until the
// last ack AND the work the collector owes for what it acked is done — the facts of every hello
// and run (collector/facts/), the clock checks: whatever its after-write pipeline has queued. Ingest
// throughput means the rate a collector sustains, and a collector that acks fast but leaves each
// write's work queued (to be dropped by the bench's stop) does not sustain it: measured to the last
// ack alone, a build that did the facts inside the window looked 8–12 % slower than one that left
// 60 % of them undone (docs/scaling.md, "N = 1 000: the per-agent set-up").
// One clock (the benchmark process's), started just before the clients are told to go.

export interface WindowTimes {
  /** "go" → the clients' last ack, as the benchmark process learnt of it. */
  ackedMs: number;
  /** "go" → the last ack and the owed work both done (≥ ackedMs). */
  doneMs: number;
}

export class IngestWindow {
  private t0: number | null = null;
  private end: Promise<WindowTimes> | null = null;

  /** `drained` resolves when nothing is queued or running after the writes (RunningCollector.drained). */
  constructor(
    private readonly drained: () => Promise<void>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The clients are about to be told to go. */
  go(): void {
    this.t0 = this.now();
  }

  /** Every message is acked: from here the window waits for the work the collector still owes. */
  acked(): void {
    if (this.t0 === null) throw new Error('IngestWindow: acked before go');
    if (this.end) throw new Error('IngestWindow: acked twice');
    const t0 = this.t0;
    const ackedMs = this.now() - t0;
    this.end = this.drained().then(() => ({ ackedMs, doneMs: this.now() - t0 }));
  }

  /** The window's times, once the owed work is done. */
  done(): Promise<WindowTimes> {
    if (!this.end) return Promise.reject(new Error('IngestWindow: the clients never reported their last ack'));
    return this.end;
  }
}
