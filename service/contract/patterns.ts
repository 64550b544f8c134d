// Shapes every layer checks the same way: Jami and DHT ids, the token's code, digests.

/** A Jami ID, a device id, a DHT InfoHash: 40 lowercase hex digits. */
export const HEX40 = /^[0-9a-f]{40}$/;
/** The 6-digit secret at the end of a token. */
export const CODE6 = /^[0-9]{6}$/;
/** C0 controls, DEL and C1 controls (C1 holds the 8-bit CSI some terminals honour): never part of a name
 *  a peer or a file gives us, and the stuff of terminal escape sequences. Global: for replace(). */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
/** A SHA-256 digest in hex. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
