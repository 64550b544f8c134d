// Where each signaling value lives on the DHT: 40-hex keys derived from the importer's temporary id (and, for
// the inbox, the token's code). Derived, so the id and the code never appear as a DHT key; the inbox needs the
// code, so a node without it cannot reach the importer at all.

import { createHash } from 'node:crypto';
import { CODE6, HEX40 } from '../../contract/patterns.js';
import { SESSION_ID } from './signaling-messages.js';

function derive(label: string, ...parts: string[]): string {
  return createHash('sha1').update(`jami-linkd/v1/${label}/${parts.join('/')}`).digest('hex');
}

function checkId(id: string): void {
  if (!HEX40.test(id)) throw new Error('a temporary identity id is 40 lowercase hex digits');
}

/** The importer's public identity record, and later its tombstone. */
export function identityKey(importerId: string): string {
  checkId(importerId);
  return derive('identity', importerId);
}

/** Where exporters holding the whole token put their sealed offers and `ready`: both the id and the code name it. */
export function inboxKey(importerId: string, code: string): string {
  checkId(importerId);
  if (!CODE6.test(code)) throw new Error('a code is 6 decimal digits');
  return derive('inbox', importerId, code);
}

/** Where the importer puts its sealed reply to one offer; the session id is known only to both ends. */
export function replyKey(importerId: string, sessionId: string): string {
  checkId(importerId);
  if (!SESSION_ID.test(sessionId)) throw new Error('a session id is 32 lowercase hex digits');
  return derive('reply', importerId, sessionId);
}
