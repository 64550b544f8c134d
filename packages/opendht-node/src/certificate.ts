// X.509 certificates: OpenDHT's dht::crypto::Certificate, with its issuer chain.
import { type BytesLike, toBytes } from './bytes.js';
import { awaitNative, callNative, invalid } from './errors.js';
import { handle } from './handle.js';
import type { Identity } from './identity.js';
import { PrivateKey, PublicKey } from './keys.js';
import { type NativeCertificate, type NativeCertificateDetails, native } from './native.js';

export interface CertificateGenerateOptions {
  /** Issuer; without it the certificate is self-signed. The CA's certificate must be a CA. */
  ca?: Identity;
  /** Mark the certificate as a CA (basicConstraints CA, keyCertSign). Default false. */
  isCA?: boolean;
}

/** [key, certificate] natives of an optional CA identity, checked. */
export function caHandles(ca: Identity | undefined): [PrivateKey[typeof handle] | null, NativeCertificate | null] {
  if (ca === undefined) return [null, null];
  if (!(ca?.key instanceof PrivateKey) || !(ca.certificate instanceof Certificate)) throw invalid('ca must be an Identity');
  return [ca.key[handle], ca.certificate[handle]];
}

export class Certificate {
  /** @internal */
  readonly [handle]: NativeCertificate;
  #details?: NativeCertificateDetails;
  #issuer?: Certificate | null;
  #publicKey?: PublicKey;

  /** @internal Use Certificate.import() or Certificate.generate(). */
  constructor(nativeCert: NativeCertificate) {
    this[handle] = nativeCert;
  }

  /**
   * Imports a certificate, PEM or DER. Several PEM blocks form a chain, ordered from subject
   * to issuer: each certificate's `issuer` is the next one.
   */
  static import(data: BytesLike): Certificate {
    const bytes = toBytes(data, 'data');
    return new Certificate(callNative('not a certificate (PEM or DER expected)', () => native.certificateImport(bytes)));
  }

  /** Issues a certificate for `key` (off the JS thread), signed by `opts.ca` or self-signed. */
  static async generate(key: PrivateKey, name: string, opts: CertificateGenerateOptions = {}): Promise<Certificate> {
    if (!(key instanceof PrivateKey)) throw invalid('key must be a PrivateKey');
    if (typeof name !== 'string') throw invalid('name must be a string');
    const [caKey, caCert] = caHandles(opts.ca);
    const isCA = opts.isCA ?? false;
    if (caCert && !caCert.details().isCA) throw invalid('the ca identity\'s certificate is not a CA');
    return new Certificate(
      await awaitNative('could not generate certificate', () => native.certificateGenerate(key[handle], name, caKey, caCert, isCA)),
    );
  }

  /** PEM; with `chain` (default), followed by the issuers' PEM, as OpenDHT's Certificate::toString. */
  toPem(chain = true): string {
    return callNative('could not export certificate', () => this[handle].toPem(chain));
  }

  /** DER of this certificate alone. */
  toDer(): Buffer {
    return callNative('could not export certificate', () => this[handle].toDer());
  }

  get #info(): NativeCertificateDetails {
    this.#details ??= callNative('could not read certificate', () => this[handle].details());
    return this.#details;
  }

  /** 40 hex: id of the certificate's public key (OpenDHT Certificate::getId()). */
  get id(): string {
    return this.#info.id;
  }

  /** 64 hex: long id of the certificate's public key. */
  get longId(): string {
    return this.#info.longId;
  }

  /** Subject common name (CN). */
  get subjectName(): string {
    return this.#info.subjectName;
  }

  /** Subject user id (UID): OpenDHT puts the public key id there. */
  get subjectUid(): string {
    return this.#info.subjectUid;
  }

  /** Issuer common name (CN). */
  get issuerName(): string {
    return this.#info.issuerName;
  }

  get issuerUid(): string {
    return this.#info.issuerUid;
  }

  get isCA(): boolean {
    return this.#info.isCA;
  }

  get notBefore(): Date {
    return new Date(this.#info.notBefore);
  }

  get notAfter(): Date {
    return new Date(this.#info.notAfter);
  }

  /** Serial number, hex. */
  get serialNumber(): string {
    return this.#info.serialNumber;
  }

  /** The next certificate of the chain this one was imported or generated with, if any. */
  get issuer(): Certificate | undefined {
    if (this.#issuer === undefined) {
      const n = callNative('could not read certificate', () => this[handle].issuer());
      this.#issuer = n ? new Certificate(n) : null;
    }
    return this.#issuer ?? undefined;
  }

  get publicKey(): PublicKey {
    this.#publicKey ??= new PublicKey(callNative('could not read certificate key', () => this[handle].publicKey()));
    return this.#publicKey;
  }

  /**
   * True if `issuer` signed this certificate: names match, the signature verifies with the
   * issuer's key, and the issuer is a CA. Validity dates are not checked (see notBefore/notAfter).
   */
  isSignedBy(issuer: Certificate): boolean {
    if (!(issuer instanceof Certificate)) throw invalid('issuer must be a Certificate');
    return callNative('could not verify certificate', () => this[handle].isSignedBy(issuer[handle]));
  }

  equals(other: Certificate): boolean {
    return other instanceof Certificate && other.toDer().equals(this.toDer());
  }
}
