// Structured logs: pino JSON on stderr; on a terminal pretty lines, coloured unless NO_COLOR,
// written in this process (not a transport thread) through the status line, so a log line
// never runs into the agent's progress line. No credential reaches a log line (redactSecrets
// over the message and each string field), and text from outside (an agent's hello, a refused
// value) is inert: escaped in the JSON, shown as escapes on a terminal (lib/inert.ts).
import pino, { type Logger, type LoggerOptions } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { inert, inertJsonText } from '../lib/inert.js';
import { redactSecrets } from '../lib/secret-file.js';
import { colorWanted, stderrStatus } from '../lib/terminal.js';

/** Redaction, and for a terminal the escapes pino-pretty would otherwise undo. */
function safety(terminal: boolean): Pick<LoggerOptions, 'hooks' | 'formatters'> {
  const clean = (s: string) => (terminal ? inert(redactSecrets(s)) : redactSecrets(s));
  return {
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? clean(a) : a)) as Parameters<typeof method>);
      },
    },
    formatters: { log: (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'string' ? clean(v) : v])) },
  };
}

export function createLogger(name: string, level = 'info'): Logger {
  if (process.stderr.isTTY) {
    const pretty = prettyFactory({ colorize: colorWanted(process.stderr), translateTime: 'SYS:HH:MM:ss' });
    const status = stderrStatus();
    return pino({ name, level, ...safety(true) }, { write: (line: string) => status.writeAbove(pretty(line)) });
  }
  const out = pino.destination(2);
  return pino({ name, level, ...safety(false) }, { write: (line: string) => out.write(inertJsonText(line)) });
}
