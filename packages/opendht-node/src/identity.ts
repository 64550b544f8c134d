// An identity is a private key and the certificate of its public key (dht::crypto::Identity).
import { Certificate, caHandles } from './certificate.js';
import { awaitNative, invalid } from './errors.js';
import { handle } from './handle.js';
import { PrivateKey, keyParams } from './keys.js';
import { native } from './native.js';

export interface IdentityGenerateOptions {
  /** Issuer of the new certificate; without it the certificate is self-signed. */
  ca?: Identity;
  /** EC (P-384) key instead of RSA. See the README for OpenDHT 2.4's EC limits. */
  ec?: boolean;
  /** RSA modulus size, default 4096. */
  bits?: number;
  /** Default: true when self-signed (no `ca`), false otherwise, as OpenDHT's generateIdentity. */
  isCA?: boolean;
}

export class Identity {
  readonly key: PrivateKey;
  readonly certificate: Certificate;

  /** Pairs a key with its certificate; EINVAL if the certificate is not for this key. */
  constructor(key: PrivateKey, certificate: Certificate) {
    if (!(key instanceof PrivateKey)) throw invalid('key must be a PrivateKey');
    if (!(certificate instanceof Certificate)) throw invalid('certificate must be a Certificate');
    if (key.publicKey.longId !== certificate.publicKey.longId) throw invalid('the certificate is not for this private key');
    this.key = key;
    this.certificate = certificate;
  }

  /** Generates a key and its certificate off the JS thread (RSA-4096 by default: over a second). */
  static async generate(name: string, opts: IdentityGenerateOptions = {}): Promise<Identity> {
    if (typeof name !== 'string') throw invalid('name must be a string');
    const [bits, ec] = keyParams(opts);
    const [caKey, caCert] = caHandles(opts.ca);
    if (caCert && !caCert.details().isCA) throw invalid("the ca identity's certificate is not a CA");
    const isCA = opts.isCA ?? opts.ca === undefined;
    if (typeof isCA !== 'boolean') throw invalid('isCA must be a boolean');
    const generated = await awaitNative('could not generate identity', () =>
      native.identityGenerate(name, caKey, caCert, bits, ec, isCA),
    );
    return new Identity(new PrivateKey(generated.key), new Certificate(generated.certificate));
  }

  /** The public key id (40 hex) of this identity. */
  get id(): string {
    return this.certificate.id;
  }
}

// Re-exported for the runner, which passes identities to the addon.
export function identityHandles(identity: Identity): [PrivateKey[typeof handle], Certificate[typeof handle]] {
  return [identity.key[handle], identity.certificate[handle]];
}
