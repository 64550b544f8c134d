// The one error type of the package, with stable codes callers can switch on.

/**
 * - `EINVAL`          bad argument (wrong type, malformed hex, out of range)
 * - `EDECRYPT`        decryption failed: wrong password, wrong key, or corrupted/tampered data
 * - `ECRYPTO`         other crypto failure (unreadable key or certificate, signing failed, ...)
 * - `EUNSUPPORTED`    the operation is not supported by this OpenDHT build (e.g. EC keys in 2.4)
 * - `EVALUETOOLARGE`  the value exceeds OpenDHT's maximum value size (checked before sending)
 * - `ENOTRUNNING`     the DhtRunner was not started with run()
 * - `ESHUTDOWN`       the DhtRunner is shut down (or was shut down while the operation ran)
 * - `EPUTFAILED`      OpenDHT reported that a put failed (no node stored the value)
 * - `EGETFAILED`      OpenDHT reported that a get failed (no node answered)
 * - `EBOOTSTRAP`      the bootstrap node did not answer, or its address did not resolve
 * - `ENATIVE`         any other error raised by the C++ layer
 */
export type OpenDhtErrorCode =
  | 'EINVAL'
  | 'EDECRYPT'
  | 'ECRYPTO'
  | 'EUNSUPPORTED'
  | 'EVALUETOOLARGE'
  | 'ENOTRUNNING'
  | 'ESHUTDOWN'
  | 'EPUTFAILED'
  | 'EGETFAILED'
  | 'EBOOTSTRAP'
  | 'ENATIVE';

export class OpenDhtError extends Error {
  readonly code: OpenDhtErrorCode;

  constructor(code: OpenDhtErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OpenDhtError';
    this.code = code;
  }
}

const KNOWN_CODES = new Set<string>([
  'EINVAL',
  'EDECRYPT',
  'ECRYPTO',
  'EUNSUPPORTED',
  'EVALUETOOLARGE',
  'ENOTRUNNING',
  'ESHUTDOWN',
  'EPUTFAILED',
  'EGETFAILED',
  'EBOOTSTRAP',
  'ENATIVE',
]);

/** The code carried by an error thrown by the addon (ENATIVE if none). */
export function nativeCode(err: unknown): OpenDhtErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && KNOWN_CODES.has(code) ? (code as OpenDhtErrorCode) : 'ENATIVE';
}

/** Rewraps an addon error as an OpenDhtError whose message starts with `context`. */
export function wrapNative(context: string, err: unknown, code: OpenDhtErrorCode = nativeCode(err)): OpenDhtError {
  if (err instanceof OpenDhtError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new OpenDhtError(code, `${context}: ${detail}`, { cause: err });
}

/** Runs a synchronous addon call, rewrapping its errors. */
export function callNative<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw wrapNative(context, err);
  }
}

/** Awaits an addon promise, rewrapping its rejection. */
export async function awaitNative<T>(context: string, promise: () => Promise<T>): Promise<T> {
  try {
    return await promise();
  } catch (err) {
    throw wrapNative(context, err);
  }
}

export function invalid(message: string): OpenDhtError {
  return new OpenDhtError('EINVAL', message);
}
