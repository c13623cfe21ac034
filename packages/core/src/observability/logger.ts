/**
 * Structured logs with pino. Transcript text never goes into logs unless the operator turns on
 * `logTranscripts` (privacy: sermons, classes and town halls are often not public). Tokens and
 * authorization headers are always redacted.
 */
import pino, { type Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Pretty, human-readable lines (development) instead of JSON. */
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'token',
  '*.token',
  'text',
  '*.text',
  'transcript',
  '*.transcript',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'babelcast' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}
