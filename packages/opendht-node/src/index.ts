// opendht-node: OpenDHT for Node.js. Public API.
export { InfoHash, type InfoHashLike } from './infohash.js';
export {
  DhtRunner,
  type DhtRunnerOptions,
  type DhtRunnerState,
  type Listener,
  type NodeInfo,
  type NodeStats,
  type PutKind,
  type PutOptions,
  type RunOptions,
} from './dht-runner.js';
export { type Value, type PackValueOptions, packValue, unpackValue } from './value.js';
export { PrivateKey, PublicKey, type KeyGenerateOptions } from './keys.js';
export { Certificate, type CertificateGenerateOptions } from './certificate.js';
export { Identity, type IdentityGenerateOptions } from './identity.js';
export { aesEncrypt, aesDecrypt, stretchKey, aesEncryptWithKey, type StretchedKey } from './aes.js';
export { OpenDhtError, type OpenDhtErrorCode } from './errors.js';
export { capabilities } from './capabilities.js';
export type { BytesLike } from './bytes.js';
