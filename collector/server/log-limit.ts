// Warnings caused by what agents send are rate-limited and aggregated: a hostile or broken
// agent must not be able to fill the collector's disk with log lines. Per message kind, the
// first `perWindow` occurrences in a window are logged as they come; the rest are counted and
// summarised once at the end of the window with their most frequent reasons.
import type { Logger } from 'pino';

interface Window {
  logged: number;
  suppressed: number;
  reasons: Map<string, number>;
  agents: Set<string>;
}

export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | null = null;
  /** Occurrences seen in total, by message (for stats and tests). */
  readonly totals = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 5,
    private readonly windowMs = 10_000,
  ) {}

  warn(msg: string, fields: Record<string, unknown> & { agent?: string; reason?: string }): void {
    this.totals.set(msg, (this.totals.get(msg) ?? 0) + 1);
    let w = this.windows.get(msg);
    if (!w) {
      w = { logged: 0, suppressed: 0, reasons: new Map(), agents: new Set() };
      this.windows.set(msg, w);
    }
    if (w.logged < this.perWindow) {
      w.logged++;
      this.log.warn(fields, msg);
    } else {
      w.suppressed++;
      const reason = String(fields.reason ?? '').slice(0, 120);
      // Bounded: at most 20 distinct reasons and 20 agents are kept per window.
      if (w.reasons.has(reason) || w.reasons.size < 20) w.reasons.set(reason, (w.reasons.get(reason) ?? 0) + 1);
      if (fields.agent && w.agents.size < 20) w.agents.add(String(fields.agent).slice(0, 80));
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
  }

  /** Logs the summary of each window that suppressed something, and starts new windows. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [msg, w] of this.windows) {
      if (w.suppressed === 0) continue;
      const reasons = Object.fromEntries([...w.reasons].sort((a, b) => b[1] - a[1]).slice(0, 5));
      this.log.warn({ suppressed: w.suppressed, windowS: this.windowMs / 1000, topReasons: reasons, agents: [...w.agents] }, `${msg} (repeated; summary)`);
    }
    this.windows.clear();
  }
}
