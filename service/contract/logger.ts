// The logger port every layer writes to: the part of pino we use, so fakes and pino both fit.

type LogMethod = {
  (fields: Record<string, unknown>, message: string): void;
  (message: string): void;
};

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child(bindings: Record<string, unknown>): Logger;
}

const ignore = (): void => {};

export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};
