// The jami-auth:// token the import side shows and the export side types in.
// Exactly `jami-auth://<40 lowercase hex>/<6 digits>` (59 chars); anything else is refused with a reason.

import type { AuthToken } from '../contract/link-contract.js';
import { CODE6, HEX40 } from '../contract/patterns.js';

export const AUTH_TOKEN_PREFIX = 'jami-auth://';
export const AUTH_TOKEN_LENGTH = 59;

export type { AuthToken } from '../contract/link-contract.js';

export type TokenProblem = 'prefix' | 'length' | 'hex' | 'code' | 'type';

export class InvalidTokenError extends Error {
  constructor(readonly problem: TokenProblem, message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}


/** Parses a token, throwing InvalidTokenError that says what is wrong (prefix, length, hex, code). */
export function parseAuthToken(text: unknown): AuthToken {
  if (typeof text !== 'string') throw new InvalidTokenError('type', 'the token must be a string');
  if (!text.startsWith(AUTH_TOKEN_PREFIX)) {
    throw new InvalidTokenError('prefix', `the token must start with ${AUTH_TOKEN_PREFIX}`);
  }
  if (text.length !== AUTH_TOKEN_LENGTH) {
    throw new InvalidTokenError('length', `the token must be ${AUTH_TOKEN_LENGTH} characters long, not ${text.length}`);
  }
  const rest = text.slice(AUTH_TOKEN_PREFIX.length);
  const peerId = rest.slice(0, 40);
  if (!HEX40.test(peerId)) {
    throw new InvalidTokenError('hex', 'the token must have 40 lowercase hexadecimal digits after jami-auth://');
  }
  if (rest[40] !== '/' || !CODE6.test(rest.slice(41))) {
    throw new InvalidTokenError('code', 'the token must end with a slash and 6 decimal digits');
  }
  return { peerId, code: rest.slice(41) };
}

/** Returns the token, or undefined when it does not parse. */
export function tryParseAuthToken(text: unknown): AuthToken | undefined {
  try {
    return parseAuthToken(text);
  } catch {
    return undefined;
  }
}

export function formatAuthToken(token: AuthToken): string {
  const text = `${AUTH_TOKEN_PREFIX}${token.peerId}/${token.code}`;
  parseAuthToken(text);
  return text;
}
