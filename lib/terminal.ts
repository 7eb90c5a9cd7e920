// What this program writes to a terminal: colour only where wanted, and one status line (the
// agent's progress) that log lines never run into. Logs go through writeAbove(): the status line
// is cleared, the log line written on its own line, the status line drawn again below it.

/** Colour on `stream`: a terminal, and neither NO_COLOR (https://no-color.org: set and not empty) nor --no-color said otherwise. */
export function colorWanted(stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const CLEAR_LINE = '\r\x1b[K';

/** The one line at the bottom of a terminal that is rewritten in place. */
export class StatusLine {
  private shown = '';

  constructor(private readonly stream: Pick<NodeJS.WriteStream, 'write'>) {}

  /** Replaces the status line with `text` (no newline). */
  show(text: string): void {
    this.shown = text;
    this.stream.write(CLEAR_LINE + text);
  }

  /** Replaces the status line with `text` and ends it: it scrolls up as a line of its own. */
  finish(text: string): void {
    this.shown = '';
    this.stream.write(CLEAR_LINE + text + '\n');
  }

  /** Writes whole lines above the status line, which is drawn again after them. */
  writeAbove(text: string): void {
    if (!this.shown) {
      this.stream.write(text);
      return;
    }
    this.stream.write(CLEAR_LINE + text + (text.endsWith('\n') ? '' : '\n') + this.shown);
  }
}

let stderrLine: StatusLine | undefined;

/** The status line of this process's stderr, shared by the progress display and the log. */
export function stderrStatus(): StatusLine {
  return (stderrLine ??= new StatusLine(process.stderr));
}
