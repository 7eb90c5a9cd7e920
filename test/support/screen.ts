// What a terminal shows for the bytes a program wrote: \r ESC[K erases the current line and a
// newline ends it (the only controls the progress line and the log use).
export function screenLines(raw: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const part of raw.replace(/\r\n/g, '\n').split(/(\r\x1b\[K|\n)/)) {
    if (part === '\n') {
      lines.push(current);
      current = '';
    } else if (part === '\r\x1b[K') current = '';
    else current += part;
  }
  if (current) lines.push(current);
  return lines;
}
