/** The injected logger (no logging globals). Silent unless the caller passes one. */

export type LogFields = Record<string, unknown>;

/** Structured logger. Any object with these four methods works (pino, console-like adapters). */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Optional: a logger that adds `fields` to every record. */
  child?(fields: LogFields): Logger;
}

const noop = (): void => {};

/** A logger that drops everything (the default). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/** `logger` scoped with `fields` (uses `logger.child` when present, else merges fields per call). */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  if (logger === silentLogger) return logger;
  if (typeof logger.child === 'function') return logger.child(fields);
  const merge = (f?: LogFields): LogFields => (f === undefined ? { ...fields } : { ...fields, ...f });
  return {
    debug: (m, f) => logger.debug(m, merge(f)),
    info: (m, f) => logger.info(m, merge(f)),
    warn: (m, f) => logger.warn(m, merge(f)),
    error: (m, f) => logger.error(m, merge(f)),
    child: (more) => childLogger(logger, { ...fields, ...more }),
  };
}
