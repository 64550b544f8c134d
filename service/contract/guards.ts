// The one set of callback guards: whatever a listener, a library callback or a port throws is logged
// and contained, so it never unwinds into a state machine or a native callback.

import type { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';

/** Short text for a log line: the error's name and message, never a stack or the error's fields. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Runs fn and returns its promise; a synchronous throw becomes a rejection. */
export function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Runs fn for its effect only (closing, telling a peer that may be gone); a throw is dropped. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // the resource is already gone: nothing more to do
  }
}

/** Runs fn; a throw is logged as `what` and swallowed. */
export function guarded(log: Logger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err: describeError(err) }, what);
  }
}

/** emitter.emit(event, ...args), with a listener's throw logged instead of thrown at the emitter. */
export function safeEmit(emitter: EventEmitter, log: Logger, event: string, ...args: unknown[]): void {
  guarded(log, `a '${event}' listener threw`, () => {
    emitter.emit(event, ...args);
  });
}
