// Calls from the sessions into the transport and the account ports, made so that nothing they
// throw or emit can escape into a state machine: failures become inputs, never exceptions.

import type { LinkFailure } from '../transport/link-transport.js';

const FAILURES: readonly string[] = ['network', 'authentication', 'timeout', 'canceled'] satisfies LinkFailure[];

/** A LinkFailure from an untrusted value (a peer's abort, a transport event); 'network' otherwise. */
export function asLinkFailure(value: unknown): LinkFailure {
  return typeof value === 'string' && FAILURES.includes(value) ? (value as LinkFailure) : 'network';
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

/** Short text for a log line: the error's name and message, never a stack or the error's fields. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
