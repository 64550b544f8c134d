// What the OpenDHT library this addon runs on can do, probed at run time rather than guessed
// from its version number.
import { native } from './native.js';

// A throwaway P-384 key (not a secret: it only signs the word "probe").
const EC_PROBE_KEY = `-----BEGIN PRIVATE KEY-----
MIHAAgEAMBAGByqGSM49AgEGBSuBBAAiBIGoMIGlAgEBBDEAqVYGQWj2jEvgdzcc
nAhDFPEWNQBM0TVdhJ7yYHdPXZJL/9WsJbzRq7LUMyAG2hydoAcGBSuBBAAioWQD
YgAEgfWMEHUQyPYwAhWTJjHNYSJCoSXpBnSe+QshAnAv1yk7Xh9MT9hxNolVnlnz
aKN1KGGjKWBYnhECSz8slCgntOHwfyuyiSgI/HUnX+bBx1pwlJ7ET75K14YW6BhF
WOhQ
-----END PRIVATE KEY-----
`;

let ecSignatures: boolean | undefined;

function probeEcSignatures(): boolean {
  try {
    const key = native.privateKeyImport(EC_PROBE_KEY);
    const data = Buffer.from('probe');
    return key.publicKey().verify(data, key.sign(data));
  } catch {
    return false;
  }
}

export const capabilities = {
  /** Version of the OpenDHT library loaded at run time. */
  get opendhtVersion(): string {
    return native.opendhtVersion;
  },
  /** Version of OpenDHT the addon was compiled against (pkg-config). */
  get opendhtBuildVersion(): string {
    return native.opendhtBuildVersion;
  },
  /** OpenDHT's MAX_VALUE_SIZE (value.h): 64 KiB in 2.x. */
  get maxValueSize(): number {
    return native.MAX_VALUE_SIZE;
  },
  /**
   * Whether OpenDHT verifies signatures made with EC keys. False on OpenDHT 2.4, whose
   * PublicKey::checkSignature always assumes RSA-SHA512.
   */
  get ecSignatures(): boolean {
    ecSignatures ??= probeEcSignatures();
    return ecSignatures;
  },
};
