// Text that came from the daemon, and through it from a peer or a file (an account's alias, a device name),
// is made printable before jami-link shows it: no C0/C1 control characters, so no colour codes, cursor
// moves or forged lines in the user's terminal, in plain or --json output alike.

import { CONTROL_CHARACTERS } from '../service/contract/patterns.js';

export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '');
}

/** A details map with every key and value made printable. */
export function printableDetails(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [printable(key), printable(String(value))]));
}
