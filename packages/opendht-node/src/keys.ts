// Public and private keys: OpenDHT's dht::crypto::PublicKey / PrivateKey (GnuTLS).
import { capabilities } from './capabilities.js';
import { type BytesLike, toBinary, toBytes } from './bytes.js';
import { OpenDhtError, awaitNative, callNative, invalid, nativeCode, wrapNative } from './errors.js';
import { handle } from './handle.js';
import { type NativePrivateKey, type NativePublicKey, native } from './native.js';

export interface KeyGenerateOptions {
  /** RSA modulus size; default 4096. Ignored with `ec`. At least 2048. */
  bits?: number;
  /** Generate an EC (P-384) key instead of RSA. See the README for OpenDHT 2.4's EC limits. */
  ec?: boolean;
}

export const DEFAULT_RSA_BITS = 4096;
export const MIN_RSA_BITS = 2048;

/** Validates key generation options; returns [bits, ec]. */
export function keyParams(opts: KeyGenerateOptions | undefined): [number, boolean] {
  const ec = opts?.ec ?? false;
  if (typeof ec !== 'boolean') throw invalid('ec must be a boolean');
  const bits = opts?.bits ?? DEFAULT_RSA_BITS;
  if (!ec && (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 16384)) {
    throw invalid(`bits must be an integer between ${MIN_RSA_BITS} and 16384, got ${String(bits)}`);
  }
  return [ec ? 0 : bits, ec];
}

function optionalPassword(password: string | undefined): string | undefined {
  if (password === undefined) return undefined;
  if (typeof password !== 'string') throw invalid('password must be a string');
  return password === '' ? undefined : password;
}

export class PublicKey {
  /** @internal */
  readonly [handle]: NativePublicKey;
  #id?: string;
  #longId?: string;
  #info?: { algorithm: string; bits: number };

  /** @internal Use PublicKey.import(), PrivateKey.publicKey or Certificate.publicKey. */
  constructor(nativeKey: NativePublicKey) {
    this[handle] = nativeKey;
  }

  /** Imports a public key (SubjectPublicKeyInfo, PEM or DER). */
  static import(data: Buffer | Uint8Array | string): PublicKey {
    const bytes = toBytes(data, 'data');
    return new PublicKey(callNative('not a public key (PEM or DER expected)', () => native.publicKeyImport(bytes)));
  }

  /** 40 hex: OpenDHT's PublicKey::getId() (SHA-1 of the DER key), the DHT identity id. */
  get id(): string {
    this.#id ??= this[handle].id();
    return this.#id;
  }

  /** 64 hex: OpenDHT's PublicKey::getLongId() (SHA-256 of the DER key). */
  get longId(): string {
    this.#longId ??= this[handle].longId();
    return this.#longId;
  }

  /** 'rsa', 'ec' or GnuTLS's name of another algorithm. */
  get algorithm(): string {
    this.#info ??= this[handle].keyInfo();
    return this.#info.algorithm;
  }

  get bits(): number {
    this.#info ??= this[handle].keyInfo();
    return this.#info.bits;
  }

  exportPem(): string {
    return callNative('could not export public key', () => this[handle].exportPem());
  }

  exportDer(): Buffer {
    return callNative('could not export public key', () => this[handle].exportDer());
  }

  equals(other: PublicKey): boolean {
    return other instanceof PublicKey && other.longId === this.longId;
  }

  /**
   * Checks an OpenDHT signature (SHA-512). Throws EUNSUPPORTED for EC keys on OpenDHT builds
   * that cannot verify them (2.4), instead of returning a misleading false.
   */
  verify(data: Buffer | Uint8Array, signature: Buffer | Uint8Array): boolean {
    const d = toBinary(data, 'data');
    const s = toBinary(signature, 'signature');
    if (this.algorithm !== 'rsa' && !capabilities.ecSignatures) {
      throw new OpenDhtError(
        'EUNSUPPORTED',
        `OpenDHT ${capabilities.opendhtVersion} cannot verify ${this.algorithm.toUpperCase()} signatures (it assumes RSA); use an RSA key`,
      );
    }
    return callNative('could not verify signature', () => this[handle].verify(d, s));
  }

  /** Encrypts for the holder of the private key (RSA, or RSA-wrapped AES-GCM for long data). RSA keys only. */
  async encrypt(data: Buffer | Uint8Array): Promise<Buffer> {
    const d = toBinary(data, 'data');
    if (this.algorithm !== 'rsa') {
      throw new OpenDhtError('EUNSUPPORTED', `OpenDHT can only encrypt for RSA keys, not ${this.algorithm.toUpperCase()}`);
    }
    return awaitNative('could not encrypt', () => this[handle].encrypt(d));
  }
}

export class PrivateKey {
  /** @internal */
  readonly [handle]: NativePrivateKey;
  #publicKey?: PublicKey;

  /** @internal Use PrivateKey.generate() or PrivateKey.import(). */
  constructor(nativeKey: NativePrivateKey) {
    this[handle] = nativeKey;
  }

  /** Generates a key pair off the JS thread (RSA-4096 by default: over a second). */
  static async generate(opts?: KeyGenerateOptions): Promise<PrivateKey> {
    const [bits, ec] = keyParams(opts);
    return new PrivateKey(await awaitNative('could not generate key', () => native.privateKeyGenerate(bits, ec)));
  }

  /**
   * Imports a PKCS#8 (or PKCS#1/SEC1) private key, PEM or DER, encrypted with `password` if given.
   * Fails with EDECRYPT on a wrong or missing password, ECRYPTO on data that is not a key.
   */
  static import(data: BytesLike, password?: string): PrivateKey {
    const bytes = toBytes(data, 'data');
    const pw = optionalPassword(password);
    try {
      return new PrivateKey(native.privateKeyImport(bytes, pw));
    } catch (err) {
      const code = nativeCode(err);
      if (code === 'EDECRYPT') {
        throw wrapNative(pw === undefined ? 'private key is password-protected and no password was given' : 'wrong password for private key', err);
      }
      throw wrapNative('not a private key (PEM or DER expected)', err);
    }
  }

  /** PEM PKCS#8 as OpenDHT's PrivateKey::serialize: encrypted (PBES2 AES-256) when a password is given. */
  exportPem(password?: string): string {
    const pw = optionalPassword(password);
    return callNative('could not export private key', () => this[handle].exportPem(pw));
  }

  /** DER PKCS#8, same encryption rules as exportPem(). */
  exportDer(password?: string): Buffer {
    const pw = optionalPassword(password);
    return callNative('could not export private key', () => this[handle].exportDer(pw));
  }

  get publicKey(): PublicKey {
    this.#publicKey ??= new PublicKey(callNative('could not read public key', () => this[handle].publicKey()));
    return this.#publicKey;
  }

  get algorithm(): string {
    return this.publicKey.algorithm;
  }

  get bits(): number {
    return this.publicKey.bits;
  }

  /** OpenDHT signature (SHA-512 digest) of `data`. */
  sign(data: Buffer | Uint8Array): Buffer {
    const d = toBinary(data, 'data');
    return callNative('could not sign', () => this[handle].sign(d));
  }

  /** Decrypts what PublicKey.encrypt() produced. EDECRYPT if it was not for this key or was altered. */
  async decrypt(data: Buffer | Uint8Array): Promise<Buffer> {
    const d = toBinary(data, 'data');
    if (this.algorithm !== 'rsa') {
      throw new OpenDhtError('EUNSUPPORTED', `OpenDHT can only decrypt with RSA keys, not ${this.algorithm.toUpperCase()}`);
    }
    return awaitNative('could not decrypt', () => this[handle].decrypt(d));
  }
}
