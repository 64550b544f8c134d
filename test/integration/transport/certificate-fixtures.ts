// Real X.509 account chains for tests, made with the openssl CLI: CA (self-signed) -> account (CA:true) -> device.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AccountFixture {
  /** device, account, CA: what an exporter sends. */
  readonly chainPem: string;
  readonly devicePrivateKeyPem: string;
  readonly caPem: string;
  readonly accountPem: string;
  readonly devicePem: string;
  readonly accountPrivateKeyPem: string;
  /** SHA-1 of the DER SubjectPublicKeyInfo as openssl encodes it (an independent check of certificateId). */
  readonly accountIdByOpenssl: string;
  readonly deviceIdByOpenssl: string;
}

function openssl(args: string[], input?: string | Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

function spkiSha1(dir: string, certificateFile: string): string {
  const publicPem = openssl(['x509', '-in', join(dir, certificateFile), '-noout', '-pubkey']);
  const der = openssl(['pkey', '-pubin', '-outform', 'DER'], publicPem);
  return openssl(['dgst', '-sha1', '-r'], der).toString('ascii').split(' ')[0]!;
}

export interface AccountOptions {
  /** Name prefix, to tell accounts apart. */
  readonly name?: string;
  /** Days the certificates are valid from now (negative: already expired). */
  readonly days?: number;
}

export function makeAccount(options: AccountOptions = {}): AccountFixture {
  const name = options.name ?? 'test';
  const dir = mkdtempSync(join(tmpdir(), 'jami-linkd-certs-'));
  try {
    const key = (file: string) => openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, file)]);
    key('ca.key');
    key('account.key');
    key('device.key');
    const days = String(options.days ?? 2);
    openssl(['req', '-x509', '-new', '-key', join(dir, 'ca.key'), '-subj', `/CN=${name} CA`, '-days', days, '-out', join(dir, 'ca.crt'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    writeFileSync(join(dir, 'account.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    writeFileSync(join(dir, 'device.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    const issue = (subject: string, keyFile: string, issuer: string, extFile: string, out: string, serial: string) => {
      openssl(['req', '-new', '-key', join(dir, keyFile), '-subj', subject, '-out', join(dir, `${out}.csr`)]);
      openssl(['x509', '-req', '-in', join(dir, `${out}.csr`), '-CA', join(dir, `${issuer}.crt`), '-CAkey', join(dir, `${issuer}.key`),
        '-set_serial', serial, '-days', days, '-extfile', join(dir, extFile), '-out', join(dir, `${out}.crt`)]);
    };
    issue(`/CN=${name} account`, 'account.key', 'ca', 'account.ext', 'account', '2');
    issue(`/CN=${name} device`, 'device.key', 'account', 'device.ext', 'device', '3');
    const read = (file: string) => readFileSync(join(dir, file), 'utf8');
    return {
      chainPem: read('device.crt') + read('account.crt') + read('ca.crt'),
      devicePrivateKeyPem: read('device.key'),
      caPem: read('ca.crt'),
      accountPem: read('account.crt'),
      devicePem: read('device.crt'),
      accountPrivateKeyPem: read('account.key'),
      accountIdByOpenssl: spkiSha1(dir, 'account.crt'),
      deviceIdByOpenssl: spkiSha1(dir, 'device.crt'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cache = new Map<string, AccountFixture>();

/** One account per name for the whole run (RSA key generation is the slow part). */
export function sharedAccount(name = 'alice'): AccountFixture {
  let account = cache.get(name);
  if (account === undefined) {
    account = makeAccount({ name });
    cache.set(name, account);
  }
  return account;
}
