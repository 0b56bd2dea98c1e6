/**
 * Structured JSON logs (pino). Every session logs through a child carrying its session id; the
 * redaction list keeps credentials out even if a caller passes them by mistake.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const REDACT = ['password', 'credential', 'secret', 'response', 'initialResponse', '*.password', '*.secret'];

export function createLogger(
  options: { level?: LogLevel; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  const base = {
    level: options.level ?? 'info',
    name: options.name ?? 'eson',
    redact: { paths: REDACT, censor: '[redacted]' },
  };
  return options.destination ? pino(base, options.destination) : pino(base, pino.destination(2));
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

/** A log file, created with its directory; written asynchronously (flushed on exit). */
export function fileDestination(file: string): pino.DestinationStream {
  return pino.destination({ dest: file, mkdir: true, sync: false });
}
