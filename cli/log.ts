// Structured logs: pino JSON on stderr; on a terminal pretty lines, coloured unless NO_COLOR,
// written in this process (not a transport thread) through the status line, so a log line
// never runs into the agent's progress line.
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { colorWanted, stderrStatus } from '../lib/terminal.js';

export function createLogger(name: string, level = 'info'): Logger {
  if (process.stderr.isTTY) {
    const pretty = prettyFactory({ colorize: colorWanted(process.stderr), translateTime: 'SYS:HH:MM:ss' });
    const status = stderrStatus();
    return pino({ name, level }, { write: (line: string) => status.writeAbove(pretty(line)) });
  }
  return pino({ name, level }, pino.destination(2));
}
