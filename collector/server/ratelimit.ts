// Token bucket per agent: a misbehaving agent is slowed (its stream paused), not cut off.
// The message that finds the bucket empty is still handled but borrows its token: the stream
// stays paused until the debt is repaid, so the long-run rate is exactly ratePerSec.
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens (one per record); returns 0 when they were there, else the ms to pause. */
  take(n = 1): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
    this.last = t;
    this.tokens -= n;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens / this.ratePerSec) * 1000);
  }
}
