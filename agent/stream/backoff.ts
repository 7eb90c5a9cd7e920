// Exponential backoff with full jitter (AWS architecture blog's "full jitter"), capped.
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 500,
    private readonly capMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
