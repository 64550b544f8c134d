// The daemon's accounts on disk: one 0700 directory per account under the data dir, published with one
// atomic rename so that a crash leaves the whole account or none. Accounts being imported live in memory
// until their archive has arrived.
//
// <dataDir>/<accountId>/account.json   non-secret details (alias, Jami ID, device id, ...)
//                       archive.gz     Jami archive (gzip JSON, or aesEncrypt'ed with the password)
//                       device.key     device private key, PEM
//                       device.crt     device certificate + account certificate + CA, PEM

import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PrivateKey } from 'opendht-node';
import {
  ensurePrivateDir,
  publishDirectory,
  removeDirectoryAtomically,
  writeFileAtomically,
  writePrivateFile,
  PRIVATE_DIR_MODE,
} from './atomic-file.js';
import {
  ArchiveError,
  archiveAlias,
  decodeArchive,
  decryptArchive,
  encodeArchive,
  encodeReceivedArchive,
  unpackPlainArchive,
  type ArchiveContent,
} from './archive.js';
import { accountIdentityOf, generateAccountArchive, issueDevice, verifyDeviceChain } from './account-identity.js';

export interface AccountRecord {
  readonly id: string;
  readonly type: 'RING';
  readonly alias: string;
  readonly deviceName: string;
  readonly jamiId: string;
  readonly deviceId: string;
  readonly archiveHasPassword: boolean;
  readonly enable: boolean;
}

export interface PendingAccount {
  readonly id: string;
  readonly alias: string;
  readonly deviceName: string;
}

export interface NewAccountDetails {
  alias?: string;
  deviceName?: string;
  password?: string;
}

export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface AccountStoreOptions {
  /** RSA key size for new CA, account and device keys (Jami uses 4096). */
  keyBits: number;
  logger: StoreLogger;
  defaultDeviceName?: string;
}

const ACCOUNT_ID = /^[0-9a-f]{16}$/;
const FILES = { details: 'account.json', archive: 'archive.gz', deviceKey: 'device.key', deviceCert: 'device.crt' } as const;

export class DataDirError extends Error {}

/** The destination of a backup could not be written (the caller's path), as opposed to our own failure. */
export class DestinationError extends Error {
  constructor(readonly destination: string, readonly cause: NodeJS.ErrnoException) {
    super(`cannot write ${destination}: ${cause.code ?? cause.message}`);
  }
}

/** Refuses a data dir that other users could write to; creates it 0700 when missing. */
export async function openDataDir(dataDir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dataDir);
  } catch {
    await ensurePrivateDir(dataDir);
    return;
  }
  if (!stat.isDirectory()) throw new DataDirError(`data dir ${dataDir} is not a directory`);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new DataDirError(`data dir ${dataDir} belongs to another user (uid ${stat.uid})`);
  }
  if (stat.mode & 0o022) {
    throw new DataDirError(
      `data dir ${dataDir} is writable by other users (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 700 ${dataDir}`,
    );
  }
  if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) await fs.chmod(dataDir, PRIVATE_DIR_MODE);
}

export class AccountStore extends EventEmitter {
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly pending = new Map<string, PendingAccount>();
  private readonly deviceKeys = new Map<string, Promise<PrivateKey>>();
  /** Serializes disk work per account: a remove never races the write of the same account. */
  private readonly queues = new Map<string, Promise<unknown>>();

  private constructor(
    readonly dataDir: string,
    private readonly options: AccountStoreOptions,
  ) {
    super();
  }

  static async open(dataDir: string, options: AccountStoreOptions): Promise<AccountStore> {
    await openDataDir(dataDir);
    const store = new AccountStore(dataDir, options);
    await store.load();
    return store;
  }

  list(): string[] {
    return [...this.accounts.keys(), ...this.pending.keys()];
  }

  get(id: string): AccountRecord | undefined {
    return this.accounts.get(id);
  }

  getPending(id: string): PendingAccount | undefined {
    return this.pending.get(id);
  }

  exists(id: string): boolean {
    return this.accounts.has(id);
  }

  hasPassword(id: string): boolean {
    return this.accounts.get(id)?.archiveHasPassword ?? false;
  }

  /** Creates a new account: CA, account and device certificates, written in one atomic step. */
  async create(details: NewAccountDetails): Promise<string> {
    const id = this.newId();
    const alias = details.alias ?? '';
    const { content } = await generateAccountArchive(alias, this.options.keyBits);
    content['Account.alias'] = alias;
    content['Account.type'] = 'RING';
    await this.writeAccount(id, content, { alias, deviceName: this.deviceNameOr(details.deviceName), password: details.password });
    return id;
  }

  /** Imports a Jami archive file's bytes as a new account (same Jami ID, new device). Throws ArchiveError. */
  async importArchive(bytes: Buffer, details: NewAccountDetails): Promise<string> {
    const content = await decodeArchive(bytes, details.password);
    accountIdentityOf(content);
    const id = this.newId();
    const fromArchive = archiveAlias(content);
    await this.writeAccount(id, content, {
      alias: details.alias ?? fromArchive,
      deviceName: this.deviceNameOr(details.deviceName),
      password: details.password,
    });
    return id;
  }

  /**
   * Writes a backup of the account's archive to `destination` (Jami's exportToFile): scheme "" for a
   * plain archive (accounts without a password), "password" to encrypt it with `password`, which must
   * open the account's archive when the account has one. Returns false when the password is wrong.
   */
  async exportArchive(id: string, destination: string, scheme: string, password: string): Promise<boolean> {
    const record = this.accounts.get(id);
    if (!record) return false;
    if (scheme !== '' && scheme !== 'password') return false;
    if (scheme === 'password' && !password) return false;
    if (record.archiveHasPassword && scheme !== 'password') return false;
    // Serialized with the account's other disk work: a concurrent removeAccount waits for the backup.
    return this.serialize(id, async () => {
      const plain = await this.openArchive(id, record.archiveHasPassword ? password : undefined);
      if (!plain) return false;
      const bytes = await encodeArchive(await unpackPlainArchive(plain), scheme === 'password' ? password : undefined);
      await writeFileAtomically(destination, bytes).catch((error: NodeJS.ErrnoException) => {
        throw new DestinationError(destination, error);
      });
      return true;
    });
  }

  /** Registers an account that will arrive from another device; nothing is written yet. */
  createPending(details: NewAccountDetails): string {
    const id = this.newId();
    this.pending.set(id, { id, alias: details.alias ?? '', deviceName: this.deviceNameOr(details.deviceName) });
    // The device key is made while the user carries the token to the old device, so the link needn't wait.
    const key = PrivateKey.generate({ bits: this.options.keyBits });
    key.catch(() => undefined);
    this.deviceKeys.set(id, key);
    this.emit('changed');
    return id;
  }

  /** Stores the archive received for a pending account, with a new device certificate. Returns its Jami ID. */
  async storeLinked(id: string, plainArchive: Buffer, password: string | undefined): Promise<{ jamiId: string }> {
    const pending = this.pending.get(id);
    if (!pending) throw new Error(`account ${id} is not waiting for an archive`);
    const content = await unpackPlainArchive(plainArchive);
    const deviceKey = await this.deviceKeys.get(id);
    const alias = pending.alias || archiveAlias(content);
    const archive = await encodeReceivedArchive(plainArchive, content, password);
    const record = await this.writeAccount(id, content, { alias, deviceName: pending.deviceName, password, deviceKey, archive });
    return { jamiId: record.jamiId };
  }

  /** Forgets a pending account (failed or canceled import: see remove). */
  private dropPending(id: string): boolean {
    this.deviceKeys.delete(id);
    if (!this.pending.delete(id)) return false;
    this.emit('changed');
    return true;
  }

  /** Deletes an account and its files, or forgets a pending one (the discard of a failed import). Idempotent. */
  async remove(id: string): Promise<boolean> {
    if (this.dropPending(id)) return true;
    if (!this.accounts.has(id)) return false;
    await this.serialize(id, async () => {
      if (!this.accounts.has(id)) return;
      await removeDirectoryAtomically(this.dirOf(id), path.join(this.dataDir, `.trash-${id}-${randomBytes(4).toString('hex')}`));
      this.accounts.delete(id);
    });
    this.emit('changed');
    return true;
  }

  /** The device's certificate chain and key, to prove the account to a new device. */
  async deviceCredentials(id: string): Promise<{ chainPem: string; keyPem: string }> {
    const dir = this.dirOf(id);
    const [chainPem, keyPem] = await Promise.all([
      fs.readFile(path.join(dir, FILES.deviceCert), 'utf8'),
      fs.readFile(path.join(dir, FILES.deviceKey), 'utf8'),
    ]);
    return { chainPem, keyPem };
  }

  /** The archive in its plain form (gzip JSON) when `password` opens it; undefined for a wrong password. */
  async openArchive(id: string, password: string | undefined): Promise<Buffer | undefined> {
    const record = this.accounts.get(id);
    if (!record) throw new Error(`unknown account ${id}`);
    const bytes = await fs.readFile(path.join(this.dirOf(id), FILES.archive));
    if (!record.archiveHasPassword) return bytes;
    if (!password) return undefined;
    try {
      return await decryptArchive(bytes, password);
    } catch (error) {
      if (error instanceof ArchiveError && error.problem === 'bad_password') return undefined;
      throw error;
    }
  }

  private async writeAccount(
    id: string,
    content: ArchiveContent,
    opts: { alias: string; deviceName: string; password?: string; deviceKey?: PrivateKey; archive?: Buffer },
  ): Promise<AccountRecord> {
    const device = await issueDevice(content, opts.deviceName, this.options.keyBits, opts.deviceKey);
    const record: AccountRecord = {
      id,
      type: 'RING',
      alias: opts.alias,
      deviceName: opts.deviceName,
      jamiId: device.jamiId,
      deviceId: device.deviceId,
      archiveHasPassword: !!opts.password,
      enable: true,
    };
    const archive = opts.archive ?? (await encodeArchive(content, opts.password));
    await this.serialize(id, async () => {
      const staging = path.join(this.dataDir, `.staging-${id}`);
      await fs.rm(staging, { recursive: true, force: true });
      await ensurePrivateDir(staging);
      // The staging directory is invisible until one rename publishes it: plain durable writes suffice.
      await writePrivateFile(path.join(staging, FILES.archive), archive);
      await writePrivateFile(path.join(staging, FILES.deviceKey), device.keyPem);
      await writePrivateFile(path.join(staging, FILES.deviceCert), device.chainPem);
      await writePrivateFile(path.join(staging, FILES.details), JSON.stringify(record, null, 2));
      await publishDirectory(staging, this.dirOf(id));
      this.accounts.set(id, record);
      this.pending.delete(id);
      this.deviceKeys.delete(id);
    });
    this.options.logger.info({ accountId: id, jamiId: record.jamiId }, 'account stored');
    this.emit('changed');
    return record;
  }

  private async load(): Promise<void> {
    for (const entry of await fs.readdir(this.dataDir, { withFileTypes: true })) {
      const full = path.join(this.dataDir, entry.name);
      if (entry.name.startsWith('.staging-') || entry.name.startsWith('.trash-')) {
        // Left by a crash: an account never published, or one already unpublished.
        await fs.rm(full, { recursive: true, force: true });
        continue;
      }
      if (!entry.isDirectory() || !ACCOUNT_ID.test(entry.name)) continue;
      try {
        const record = JSON.parse(await fs.readFile(path.join(full, FILES.details), 'utf8')) as AccountRecord;
        const chain = await fs.readFile(path.join(full, FILES.deviceCert), 'utf8');
        if (record.id !== entry.name || !verifyDeviceChain(chain, record.jamiId)) throw new Error('inconsistent account files');
        this.accounts.set(record.id, record);
      } catch (error) {
        this.options.logger.warn({ accountId: entry.name, reason: (error as Error).message }, 'skipping unreadable account');
      }
    }
  }

  private serialize<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return next;
  }

  private dirOf(id: string): string {
    return path.join(this.dataDir, id);
  }

  private deviceNameOr(name: string | undefined): string {
    return name || this.options.defaultDeviceName || 'jami-linkd device';
  }

  private newId(): string {
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.accounts.has(id) || this.pending.has(id));
    return id;
  }
}
