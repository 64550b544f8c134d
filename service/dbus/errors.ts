// D-Bus error names callers can rely on. Messages are one human line; never a stack trace.

export const ERROR_PREFIX = 'cx.ring.Ring.Error';

export const DBusErrorName = {
  InvalidArgument: `${ERROR_PREFIX}.InvalidArgument`,
  AccessDenied: `${ERROR_PREFIX}.AccessDenied`,
  WrongPassword: `${ERROR_PREFIX}.WrongPassword`,
  InvalidArchive: `${ERROR_PREFIX}.InvalidArchive`,
  /** A bound on concurrent work was reached (e.g. accounts waiting for another device). */
  LimitReached: `${ERROR_PREFIX}.LimitReached`,
  Failed: `${ERROR_PREFIX}.Failed`,
} as const;

export type DBusErrorNameValue = (typeof DBusErrorName)[keyof typeof DBusErrorName];

/** An error that crosses D-Bus as is: its name and its one-line message. */
export class ServiceError extends Error {
  constructor(readonly dbusName: DBusErrorNameValue, message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const invalidArgument = (message: string): ServiceError => new ServiceError(DBusErrorName.InvalidArgument, message);
