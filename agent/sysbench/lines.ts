// sysbench's output is untrusted text (a broken or hostile binary can print anything): it is
// split into lines in linear time, each line capped at MAX_LINE characters, and the text kept
// for the parser is capped at MAX_OUTPUT characters (the oldest half goes first: the final
// report, which the parser needs, is at the end). Re-splitting an ever-growing unterminated
// line at every chunk was quadratic: 10 / 20 / 40 MB took 3.8 / 12 / 46 s.

/** Longest line kept, in characters; a real sysbench line is under 300. */
export const MAX_LINE = 64 * 1024;
/** Most text kept for the parser, in characters. */
export const MAX_OUTPUT = 16 * 1024 * 1024;

export class LineSplitter {
  private partial = '';
  /** Characters of the current line dropped past MAX_LINE. */
  private overflow = 0;
  private kept: string[] = [];
  private keptChars = 0;
  /** The text ended without a final newline (its last line may be cut short). */
  private unterminated = false;
  /** Lines cut at MAX_LINE, and characters dropped to stay under MAX_OUTPUT. */
  truncatedLines = 0;
  droppedChars = 0;

  /** keep: whether text() is wanted (false: lines only go to onLine). */
  constructor(
    private readonly onLine: (line: string) => void = () => {},
    private readonly keep = true,
  ) {}

  /** Feeds a chunk; calls onLine for every line it completes. */
  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.append(chunk.slice(start, nl));
      this.endLine();
      start = nl + 1;
    }
    this.append(chunk.slice(start));
  }

  /** Ends the text: a last line without a newline counts too. */
  end(): void {
    if (this.partial || this.overflow) {
      this.endLine();
      this.unterminated = true;
    }
  }

  /** The kept text: capped lines, each ended by '\n' except an unterminated last one. */
  text(): string {
    if (this.kept.length === 0) return '';
    return this.kept.join('\n') + (this.unterminated ? '' : '\n');
  }

  private append(piece: string): void {
    const room = MAX_LINE - this.partial.length;
    if (piece.length <= room) this.partial += piece;
    else {
      this.partial += piece.slice(0, room);
      this.overflow += piece.length - room;
    }
  }

  private endLine(): void {
    const line = this.partial;
    if (this.overflow) this.truncatedLines++;
    this.partial = '';
    this.overflow = 0;
    if (this.keep) {
      this.kept.push(line);
      this.keptChars += line.length + 1;
      if (this.keptChars > MAX_OUTPUT) this.dropOldestHalf();
    }
    this.onLine(line);
  }

  private dropOldestHalf(): void {
    let drop = 0;
    let chars = 0;
    while (drop < this.kept.length && chars < this.keptChars / 2) chars += this.kept[drop++]!.length + 1;
    this.kept = this.kept.slice(drop);
    this.keptChars -= chars;
    this.droppedChars += chars;
  }
}
