// The daemon's logger: pino, JSON by default, pretty on request. Secrets never reach a log line:
// known secret fields are redacted wherever they appear, and callers never pass archive bytes or tokens.

import pino, { type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Field names that may hold secrets, redacted at the top level and one level down. */
const SECRET_FIELDS = ['password', 'credentialsFromUser', 'archivePassword', 'archive', 'privateKey', 'keyPem', 'token', 'code', 'details'];

export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]);

export interface LoggerOptions {
  level?: LevelWithSilent;
  pretty?: boolean;
  /** Where JSON lines go (a file descriptor or stream); stdout by default. */
  destination?: pino.DestinationStream | number;
  /** `time` in epoch ms with two decimals instead of whole ms (JAMI_LINKD_TRACE: steps of a link take ~1 ms). */
  preciseTime?: boolean;
}

const preciseTimestamp = (): string => `,"time":${(performance.timeOrigin + performance.now()).toFixed(2)}`;

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(options.preciseTime ? { timestamp: preciseTimestamp } : {}),
  };
  if (options.pretty) {
    const fd = typeof options.destination === 'number' ? options.destination : 2;
    return pino(base, pino.transport({ target: 'pino-pretty', options: { colorize: fd === 2 ? process.stderr.isTTY : process.stdout.isTTY, destination: fd } }));
  }
  return pino(base, typeof options.destination === 'number' ? pino.destination({ dest: options.destination, sync: true }) : options.destination ?? pino.destination({ dest: 2, sync: true }));
}
