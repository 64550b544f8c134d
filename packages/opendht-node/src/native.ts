// Loads the compiled addon and describes its (untyped) surface. Nothing here is public API.
import { createRequire } from 'node:module';

export interface NativeKeyInfo {
  algorithm: string;
  bits: number;
}

export interface NativePublicKey {
  id(): string;
  longId(): string;
  exportPem(): string;
  exportDer(): Buffer;
  verify(data: Uint8Array, signature: Uint8Array): boolean;
  encrypt(data: Uint8Array): Promise<Buffer>;
  keyInfo(): NativeKeyInfo;
}

export interface NativePrivateKey {
  exportPem(password?: string): string;
  exportDer(password?: string): Buffer;
  publicKey(): NativePublicKey;
  sign(data: Uint8Array): Buffer;
  decrypt(data: Uint8Array): Promise<Buffer>;
  keyInfo(): NativeKeyInfo;
}

export interface NativeCertificateDetails {
  id: string;
  longId: string;
  subjectName: string;
  subjectUid: string;
  issuerName: string;
  issuerUid: string;
  isCA: boolean;
  notBefore: number;
  notAfter: number;
  serialNumber: string;
}

export interface NativeCertificate {
  toPem(chain?: boolean): string;
  toDer(): Buffer;
  details(): NativeCertificateDetails;
  issuer(): NativeCertificate | undefined;
  publicKey(): NativePublicKey;
  isSignedBy(issuer: NativeCertificate): boolean;
}

export interface NativeIdentity {
  key: NativePrivateKey;
  certificate: NativeCertificate;
}

export interface NativeValue {
  id: bigint;
  data: Buffer;
  type: number;
  seq: number;
  signed: boolean;
  encrypted: boolean;
  owner?: NativePublicKey;
  ownerId?: string;
  recipient?: string;
  userType?: string;
}

export interface NativeNodeStats {
  good: number;
  dubious: number;
  cached: number;
  incoming: number;
  searches: number;
  tableDepth: number;
  networkSizeEstimation: number;
}

export interface NativeNodeInfo {
  nodeId: string;
  id: string;
  bound4: number;
  bound6: number;
  ipv4: NativeNodeStats;
  ipv6: NativeNodeStats;
  ongoingOps: number;
}

export interface NativeRunOptions {
  port: number;
  bindIPv4?: string;
  bindIPv6?: string;
  ipv4: boolean;
  ipv6: boolean;
  networkId: number;
  key?: NativePrivateKey;
  certificate?: NativeCertificate;
  peerDiscovery: boolean;
  peerPublish: boolean;
  log: boolean;
}

export const enum PutMode {
  Plain = 0,
  Signed = 1,
  Encrypted = 2,
}

export interface NativeDhtRunner {
  run(opts: NativeRunOptions): void;
  getBoundPort(family?: 4 | 6): number;
  bootstrap(ip: string, port: number, host?: string): Promise<boolean>;
  get(key: string): Promise<{ ok: boolean; values: NativeValue[] }>;
  put(
    key: string,
    data: Uint8Array,
    type: number,
    id: bigint | number | undefined,
    permanent: boolean,
    mode: PutMode,
    to?: string | NativePublicKey,
  ): Promise<boolean>;
  putPacked(key: string, packed: Uint8Array, permanent: boolean): Promise<boolean>;
  cancelPut(key: string, id: bigint | number): void;
  listen(key: string, onValues: (values: NativeValue[], expired: boolean) => void): { id: number; ready: Promise<void> };
  cancelListen(id: number): boolean;
  getNodeId(): string;
  getId(): string;
  getNodeInfo(): NativeNodeInfo;
  maxDataSize(mode: PutMode, type: number, recipientBits: number): number;
  shutdown(): Promise<void>;
  join(): Promise<void>;
}

export interface NativeBinding {
  NativeDhtRunner: new () => NativeDhtRunner;
  privateKeyGenerate(bits: number, ec: boolean): Promise<NativePrivateKey>;
  privateKeyImport(data: Uint8Array | string, password?: string): NativePrivateKey;
  publicKeyImport(data: Uint8Array | string): NativePublicKey;
  certificateImport(data: Uint8Array | string): NativeCertificate;
  certificateGenerate(
    key: NativePrivateKey,
    name: string,
    caKey: NativePrivateKey | null,
    caCert: NativeCertificate | null,
    isCA: boolean,
  ): Promise<NativeCertificate>;
  identityGenerate(
    name: string,
    caKey: NativePrivateKey | null,
    caCert: NativeCertificate | null,
    bits: number,
    ec: boolean,
    isCA: boolean,
  ): Promise<NativeIdentity>;
  aesEncrypt(data: Uint8Array, password: string): Promise<Buffer>;
  aesDecrypt(data: Uint8Array, password: string): Promise<Buffer>;
  stretchKey(password: string, salt?: Uint8Array): Promise<{ key: Buffer; salt: Buffer }>;
  aesEncryptWithKey(data: Uint8Array, key: Uint8Array): Promise<Buffer>;
  infoHashGet(data: Uint8Array | string): Buffer;
  packValue(data: Uint8Array, type: number, id: bigint | number | undefined, seq: number, signer: NativePrivateKey | null): Buffer;
  unpackValue(packed: Uint8Array): NativeValue & { signatureValid: boolean };
  MAX_VALUE_SIZE: number;
  opendhtVersion: string;
  opendhtBuildVersion: string;
}

const require = createRequire(import.meta.url);

function load(): NativeBinding {
  // dist/src/native.js -> <package>/build/{Release,Debug}/opendht_node.node
  const candidates = ['../../build/Release/opendht_node.node', '../../build/Debug/opendht_node.node'];
  let firstError: unknown;
  for (const path of candidates) {
    try {
      return require(path) as NativeBinding;
    } catch (err) {
      firstError ??= err;
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  throw new Error(
    'opendht-node: the native addon is not built (run `npm rebuild opendht-node`; it needs ' +
      'libopendht-dev, pkg-config and a C++ compiler)',
    { cause: firstError },
  );
}

export const native: NativeBinding = load();
