// What an opendht-node rejection says, read one way for every signaling wrapper: its OpenDhtError code.

import type { OpenDhtErrorCode } from 'opendht-node';

/** True when `error` is an opendht-node rejection whose code is one of `codes`; false for anything else. */
export function hasDhtCode(error: unknown, codes: ReadonlySet<OpenDhtErrorCode>): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && codes.has(code as OpenDhtErrorCode);
}
