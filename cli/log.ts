// Structured logs: pino JSON on stderr, pretty when stderr is a terminal.
import pino, { type Logger } from 'pino';

export function createLogger(name: string, level = 'info'): Logger {
  if (process.stderr.isTTY) {
    return pino({ name, level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino({ name, level }, pino.destination(2));
}
