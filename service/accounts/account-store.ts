// The daemon's accounts on disk: one 0700 directory per account under the data dir, published with one
// atomic rename so that a crash leaves the whole account or none. Accounts not stored yet (keys being made,
// an archive awaited from another device, or a link that failed) are listed from memory, as jamid lists
// them (registration state INITIALIZING), until they are stored or removed.
//
// <dataDir>/<accountId>/account.json   non-secret details (alias, Jami ID, device id, ...)
//                       archive.gz     Jami archive (gzip JSON, or aesEncrypt'ed with the password)
//                       device.key     device private key, PEM
//                       device.crt     device certificate + account certificate + CA, PEM

import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
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
  archiveDisplayName,
  decodeArchive,
  decryptArchive,
  encodeArchive,
  encodeReceivedArchive,
  isGzip,
  stretchArchivePassword,
  unpackPlainArchive,
  type ArchiveContent,
  type SealingKey,
} from './archive.js';
import { ArchiveInflation } from './archive-inflation.js';
import { DeviceKeyQueue } from './device-key-queue.js';
import { accountIdentityOf, deviceOfChain, generateAccountArchive, issueDevice, verifyDeviceChain } from './account-identity.js';

export interface AccountRecord {
  readonly id: string;
  readonly type: 'RING';
  readonly alias: string;
  readonly displayName: string;
  readonly deviceName: string;
  readonly jamiId: string;
  /** This device's id: the long id (64 hex) of its certificate, as Jami shows it. */
  readonly deviceId: string;
  readonly archiveHasPassword: boolean;
  readonly enable: boolean;
  /** The account's devices this device knows, this one included: device id -> name. */
  readonly devices: Readonly<Record<string, string>>;
}

/** Why an account is listed but not stored: its keys are being made, its archive is awaited from another
 *  device, or that link failed (the account then holds nothing until its client removes it, as with jamid). */
export type InitializingStage = 'creating' | 'linking' | 'failed';

export interface InitializingAccount {
  readonly id: string;
  readonly alias: string;
  readonly displayName: string;
  readonly deviceName: string;
  readonly stage: InitializingStage;
}

export interface NewAccountDetails {
  alias?: string;
  displayName?: string;
  deviceName?: string;
  password?: string;
}

export interface StoreLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface AccountStoreOptions {
  /** RSA key size for new CA, account and device keys (Jami uses 4096). */
  keyBits: number;
  /** Accounts that may wait for their archive from another device at once (default 16). */
  maxPendingLinks?: number;
  logger: StoreLogger;
  defaultDeviceName?: string;
}

const ACCOUNT_ID = /^[0-9a-f]{16}$/;
/** A received archive from this size is written while it is unpacked (storeLinked). */
export const WRITE_AHEAD_MIN_BYTES = 1024 * 1024;
const FILES = { details: 'account.json', archive: 'archive.gz', deviceKey: 'device.key', deviceCert: 'device.crt' } as const;

export class DataDirError extends Error {}

/** addAccount for a link while maxPendingLinks accounts already wait for theirs. */
export class TooManyPendingLinksError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} accounts already wait for another device; finish or remove one first (jami-linkd --max-pending-imports)`);
  }
}

const DEFAULT_MAX_PENDING_LINKS = 16;

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
  private readonly initializing = new Map<string, InitializingAccount>();
  private readonly deviceKeys = new Map<string, Promise<PrivateKey | undefined>>();
  /** Per linking account: the password its user gave last, being stretched to seal the archive when it comes. */
  private readonly sealingKeys = new Map<string, { readonly password: string; readonly key: Promise<SealingKey> }>();
  /** Per linking account: its archive, inflated while it arrives. */
  private readonly inflations = new Map<string, ArchiveInflation>();
  private readonly keyQueue: DeviceKeyQueue;
  /** Serializes disk work per account: a remove never races the write of the same account. */
  private readonly queues = new Map<string, Promise<unknown>>();

  private constructor(
    readonly dataDir: string,
    private readonly options: AccountStoreOptions,
  ) {
    super();
    this.keyQueue = new DeviceKeyQueue(options.keyBits);
  }

  static async open(dataDir: string, options: AccountStoreOptions): Promise<AccountStore> {
    await openDataDir(dataDir);
    const store = new AccountStore(dataDir, options);
    await store.load();
    return store;
  }

  list(): string[] {
    return [...this.accounts.keys(), ...this.initializing.keys()];
  }

  get(id: string): AccountRecord | undefined {
    return this.accounts.get(id);
  }

  /** An account listed but not stored (yet, or any more after a failed link). */
  getInitializing(id: string): InitializingAccount | undefined {
    return this.initializing.get(id);
  }

  exists(id: string): boolean {
    return this.accounts.has(id);
  }

  hasPassword(id: string): boolean {
    return this.accounts.get(id)?.archiveHasPassword ?? false;
  }

  /**
   * Creates a new account, as jamid does: the id comes back at once and the account is listed INITIALIZING
   * while its CA, account and device keys are made; then it is written in one atomic step and 'ready' is
   * emitted ('failed' if that cannot be done, the account then gone).
   */
  create(details: NewAccountDetails): string {
    const entry = this.initialize(details, 'creating');
    this.finishInBackground(entry.id, async () => {
      const { content } = await generateAccountArchive(entry.alias, this.options.keyBits);
      content['Account.alias'] = entry.alias;
      content['Account.displayName'] = entry.displayName;
      content['Account.type'] = 'RING';
      await this.writeAccount(entry.id, content, { ...entry, password: details.password });
    });
    return entry.id;
  }

  /**
   * Imports a Jami archive file's bytes as a new account (same Jami ID, new device). The archive is opened and
   * checked first (ArchiveError when it cannot be); the device key and certificate are then made in the
   * background as for create().
   */
  async importArchive(bytes: Buffer, details: NewAccountDetails): Promise<string> {
    const content = await decodeArchive(bytes, details.password);
    accountIdentityOf(content);
    const entry = this.initialize(
      { ...details, alias: details.alias || archiveAlias(content), displayName: details.displayName || archiveDisplayName(content) },
      'creating',
    );
    this.finishInBackground(entry.id, () => this.writeAccount(entry.id, content, { ...entry, password: details.password }).then(() => undefined));
    return entry.id;
  }

  /**
   * Writes a backup of the account's archive to `destination` (Jami's exportToFile). Scheme "" or "password"
   * with an empty password writes a plain archive (accounts without a password); "password" with a password
   * encrypts it, and that password must open the account's archive when the account has one. False for a
   * wrong password, an account not stored, or another scheme ("key", Jami's derived-key scheme, is not kept here).
   */
  async exportArchive(id: string, destination: string, scheme: string, password: string): Promise<boolean> {
    const record = this.accounts.get(id);
    if (!record) return false;
    if (scheme !== '' && scheme !== 'password') {
      this.options.logger.warn({ accountId: id, scheme: scheme.slice(0, 16) }, 'exportToFile: only the schemes "" and "password" are supported');
      return false;
    }
    const encryptWith = scheme === 'password' && password !== '' ? password : undefined;
    if (record.archiveHasPassword && encryptWith === undefined) return false;
    // Serialized with the account's other disk work: a concurrent removeAccount waits for the backup.
    return this.serialize(id, async () => {
      const plain = await this.openArchive(id, record.archiveHasPassword ? encryptWith : undefined);
      if (!plain) return false;
      const bytes = await encodeArchive(await unpackPlainArchive(plain), encryptWith);
      await writeFileAtomically(destination, bytes).catch((error: NodeJS.ErrnoException) => {
        throw new DestinationError(destination, error);
      });
      return true;
    });
  }

  /** Lists an account that will arrive from another device; nothing is written until its archive is stored.
   *  Throws TooManyPendingLinksError when maxPendingLinks accounts already wait. */
  beginLink(details: NewAccountDetails): string {
    const limit = this.options.maxPendingLinks ?? DEFAULT_MAX_PENDING_LINKS;
    const waiting = [...this.initializing.values()].filter((entry) => entry.stage === 'linking').length;
    if (waiting >= limit) throw new TooManyPendingLinksError(limit);
    const entry = this.initialize(details, 'linking');
    // The device key is made while the user carries the token to the old device, so the link needn't wait;
    // one at a time, and not at all for an account removed before its turn.
    const key = this.keyQueue.make(() => this.initializing.get(entry.id)?.stage === 'linking');
    key.catch(() => undefined);
    this.deviceKeys.set(entry.id, key);
    return entry.id;
  }

  /**
   * The new device's user gave `password` for a linking account: it is stretched now, while the old device checks
   * it (its own stretch of the same cost), so storing the archive under it costs no second KDF in sequence. The
   * key is used only if storeLinked gets this same password; a later password replaces it. '' is no password
   * (consent to an account without one): nothing to stretch.
   */
  prepareSealingKey(id: string, password: string): void {
    if (password === '' || this.initializing.get(id)?.stage !== 'linking') return;
    const key = stretchArchivePassword(password);
    key.catch(() => undefined); // storeLinked stretches again if this failed
    this.sealingKeys.set(id, { password, key });
  }

  /**
   * The archive of a linking account is on its way: the returned function takes its bytes as they arrive, and
   * they are inflated meanwhile, so storeLinked does not start a 50 MB inflate only once the last byte is in.
   * Used only if storeLinked gets an archive of the length it was fed; a later call starts afresh.
   */
  beginReceiving(id: string): (chunk: Buffer) => void {
    this.forgetInflation(id);
    if (this.initializing.get(id)?.stage !== 'linking') return () => undefined;
    const inflation = new ArchiveInflation();
    this.inflations.set(id, inflation);
    return (chunk) => inflation.write(chunk);
  }

  /** The received archive's content: from the inflation fed while it arrived, or inflated now. */
  private async unpackReceived(id: string, plainArchive: Buffer): Promise<ArchiveContent> {
    const inflation = this.inflations.get(id);
    this.inflations.delete(id);
    if (inflation === undefined || inflation.bytesTaken !== plainArchive.length) {
      inflation?.abort();
      return unpackPlainArchive(plainArchive);
    }
    return inflation.finish();
  }

  private forgetInflation(id: string): void {
    this.inflations.get(id)?.abort();
    this.inflations.delete(id);
  }

  /** The key that seals the archive under `password`: the one prepared for it, or one stretched now. */
  private async sealingKeyFor(id: string, password: string): Promise<SealingKey> {
    const prepared = this.sealingKeys.get(id);
    this.sealingKeys.delete(id);
    if (prepared !== undefined && prepared.password === password) {
      const key = await prepared.key.catch(() => undefined);
      if (key !== undefined) return key;
    }
    return stretchArchivePassword(password);
  }

  /**
   * Stores the archive received for a linking account, with a new device certificate, if it holds the
   * account `expected.jamiId` (the exporter proved it): another account is refused before anything is
   * written. The exporter's device (its proved chain) joins the account's devices. Throws on an invalid archive.
   */
  async storeLinked(
    id: string,
    plainArchive: Buffer,
    password: string,
    expected: { jamiId: string; exporterChainPem: string },
  ): Promise<{ stored: true; deviceChain: string } | { stored: false; foundAccount: string }> {
    const entry = this.initializing.get(id);
    if (entry?.stage !== 'linking') throw new Error(`account ${id} is not waiting for an archive`);
    // Where a store's time goes (a debug line): the new device's time from archive received to `stored`.
    const lap = stopwatch();
    // Without a password the file stored is the received gzip as it is: a large one goes to disk (~30 ms for
    // 37 MB, on the thread pool) while it is unpacked and checked (the event loop), not after. A small one is
    // written with the rest: ahead, its own fsync and rename cost more than its write (50 links at once: 1.20x
    // linear, against 0.80-1.03 without).
    const archiveFile = !password && isGzip(plainArchive) && plainArchive.length >= WRITE_AHEAD_MIN_BYTES ? this.writeAhead(id, plainArchive) : undefined;
    archiveFile?.catch(() => undefined); // a failed write is writeAccount's to report, once it waits for it
    try {
      const content = await this.unpackReceived(id, plainArchive);
      const unpackMs = lap();
      const found = accountIdentityOf(content).certificate.id;
      if (found !== expected.jamiId) return { stored: false, foundAccount: found };
      const deviceKey = (await this.deviceKeys.get(id)) ?? undefined;
      const deviceKeyWaitMs = lap();
      const archive = archiveFile ?? (await encodeReceivedArchive(plainArchive, content, password ? await this.sealingKeyFor(id, password) : undefined));
      const sealMs = lap(); // waits for the key prepared at consent, if it is not ready yet
      const exporter = deviceOfChain(expected.exporterChainPem, found);
      const { deviceChainPem } = await this.writeAccount(id, content, {
        alias: entry.alias || archiveAlias(content),
        displayName: entry.displayName || archiveDisplayName(content),
        deviceName: entry.deviceName,
        password: password || undefined,
        deviceKey,
        archive,
        otherDevices: exporter === undefined ? {} : { [exporter.deviceId]: exporter.name },
      });
      this.options.logger.debug?.({ accountId: id, unpackMs, deviceKeyWaitMs, sealMs, writeMs: lap(), bytes: plainArchive.length }, 'linked account stored');
      return { stored: true, deviceChain: deviceChainPem };
    } finally {
      // Moved into the account by a writeAccount that succeeded (this finds nothing then); else it goes here, however
      // the store ended (another account, a corrupt archive, the account removed, a write or the device key failed).
      if (archiveFile !== undefined) await archiveFile.then((file) => fs.rm(file, { force: true })).catch(() => undefined);
    }
  }

  /** `bytes` as a durable private file beside the accounts, for writeAccount to move into one (see storeLinked);
   *  a crash leaves it to load(), like a staging directory. */
  private async writeAhead(id: string, bytes: Buffer): Promise<string> {
    const file = path.join(this.dataDir, `.staging-${id}.archive`);
    await fs.rm(file, { force: true });
    try {
      await writePrivateFile(file, bytes);
    } catch (error) {
      await fs.rm(file, { force: true });
      throw error;
    }
    return file;
  }

  /**
   * A link to this account failed: whatever it stored is deleted and its device key forgotten, but the account
   * stays listed (INITIALIZING, holding nothing) until its client removes it, as jamid leaves it. Idempotent.
   */
  async abandonLink(id: string): Promise<void> {
    this.deviceKeys.delete(id);
    this.sealingKeys.delete(id);
    this.forgetInflation(id);
    const entry = this.initializing.get(id);
    const stored = this.accounts.get(id);
    if (stored !== undefined) {
      await this.deleteStored(id);
      this.initializing.set(id, { id, alias: stored.alias, displayName: stored.displayName, deviceName: stored.deviceName, stage: 'failed' });
    } else if (entry !== undefined && entry.stage !== 'failed') {
      this.initializing.set(id, { ...entry, stage: 'failed' });
    }
  }

  /** Deletes an account and its files, or forgets one not stored. False for an unknown id. */
  async remove(id: string): Promise<boolean> {
    this.deviceKeys.delete(id);
    this.sealingKeys.delete(id);
    this.forgetInflation(id);
    if (this.initializing.delete(id)) {
      this.emit('changed');
      return true;
    }
    if (!this.accounts.has(id)) return false;
    await this.deleteStored(id);
    this.emit('changed');
    return true;
  }

  /** The account's devices as this device knows them (device id -> name); {} for an account not stored. */
  knownDevices(id: string): Record<string, string> {
    return { ...(this.accounts.get(id)?.devices ?? {}) };
  }

  /**
   * Records another device of the account, proven by its certificate chain (device certificate signed by the
   * account; its common name is the device's name). Persisted; emits 'devicesChanged'. False when the chain
   * does not prove a device of this account.
   */
  async addKnownDevice(id: string, deviceChainPem: string): Promise<boolean> {
    const record = this.accounts.get(id);
    const device = record === undefined ? undefined : deviceOfChain(deviceChainPem, record.jamiId);
    if (record === undefined || device === undefined) return false;
    if (record.devices[device.deviceId] === device.name) return true;
    const updated: AccountRecord = { ...record, devices: { ...record.devices, [device.deviceId]: device.name } };
    await this.serialize(id, async () => {
      if (this.accounts.get(id) !== record) return;
      await writeFileAtomically(path.join(this.dirOf(id), FILES.details), JSON.stringify(updated, null, 2));
      this.accounts.set(id, updated);
    });
    this.emit('devicesChanged', id);
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

  /**
   * The archive in its plain form (gzip JSON) when `password` opens it; undefined for a wrong password. As with
   * jamid, an archive without a password opens only without one (an empty password counts as none).
   */
  async openArchive(id: string, password: string | undefined): Promise<Buffer | undefined> {
    const record = this.accounts.get(id);
    if (!record) throw new Error(`unknown account ${id}`);
    const bytes = await fs.readFile(path.join(this.dirOf(id), FILES.archive));
    if (!record.archiveHasPassword) return password ? undefined : bytes;
    if (!password) return undefined;
    try {
      return await decryptArchive(bytes, password);
    } catch (error) {
      if (error instanceof ArchiveError && error.problem === 'bad_password') return undefined;
      throw error;
    }
  }

  /** Lists a new account as INITIALIZING. */
  private initialize(details: NewAccountDetails, stage: InitializingStage): InitializingAccount {
    const alias = details.alias ?? '';
    const entry: InitializingAccount = {
      id: this.newId(),
      alias,
      displayName: details.displayName || alias,
      deviceName: this.deviceNameOr(details.deviceName),
      stage,
    };
    this.initializing.set(entry.id, entry);
    this.emit('changed');
    return entry;
  }

  /** Runs the rest of a creation; its failure unlists the account and emits 'failed' (not when it was removed meanwhile). */
  private finishInBackground(id: string, work: () => Promise<void>): void {
    work().catch((error: unknown) => {
      if (error instanceof AccountGoneError) return;
      this.options.logger.warn({ accountId: id, reason: (error as Error).message }, 'account creation failed');
      if (!this.initializing.delete(id)) return;
      this.deviceKeys.delete(id);
      this.emit('failed', id);
      this.emit('changed');
    });
  }

  private async writeAccount(
    id: string,
    content: ArchiveContent,
    opts: {
      alias: string;
      displayName: string;
      deviceName: string;
      password?: string;
      deviceKey?: PrivateKey;
      /** The archive file's bytes, or a file of them written ahead, moved in (its writer deletes what is left). */
      archive?: Buffer | Promise<string>;
      /** The account's other devices this one knows from the start (the device it was linked from). */
      otherDevices?: Record<string, string>;
    },
  ): Promise<{ record: AccountRecord; deviceChainPem: string }> {
    const device = await issueDevice(content, opts.deviceName, this.options.keyBits, opts.deviceKey);
    const record: AccountRecord = {
      id,
      type: 'RING',
      alias: opts.alias,
      displayName: opts.displayName,
      deviceName: opts.deviceName,
      jamiId: device.jamiId,
      deviceId: device.deviceId,
      archiveHasPassword: !!opts.password,
      enable: true,
      devices: { ...opts.otherDevices, [device.deviceId]: opts.deviceName },
    };
    const archive = opts.archive ?? (await encodeArchive(content, opts.password));
    await this.serialize(id, async () => {
      // Removed while its keys were made: nothing of it may appear on disk.
      if (!this.initializing.has(id)) throw new AccountGoneError(id);
      const staging = path.join(this.dataDir, `.staging-${id}`);
      await fs.rm(staging, { recursive: true, force: true });
      await ensurePrivateDir(staging);
      // The staging directory is invisible until one rename publishes it: plain durable writes suffice, all four
      // at once (each is fsynced before the directory is, and the rename waits for all). All are waited for, so
      // that a failed one leaves nothing: the directory goes whole, device key included.
      const written = await Promise.allSettled([
        Buffer.isBuffer(archive)
          ? writePrivateFile(path.join(staging, FILES.archive), archive)
          : archive.then((file) => fs.rename(file, path.join(staging, FILES.archive))),
        writePrivateFile(path.join(staging, FILES.deviceKey), device.keyPem),
        writePrivateFile(path.join(staging, FILES.deviceCert), device.chainPem),
        writePrivateFile(path.join(staging, FILES.details), JSON.stringify(record, null, 2)),
      ]);
      const failed = written.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed !== undefined) {
        await fs.rm(staging, { recursive: true, force: true });
        throw failed.reason;
      }
      if (!this.initializing.has(id)) {
        await fs.rm(staging, { recursive: true, force: true });
        throw new AccountGoneError(id);
      }
      await publishDirectory(staging, this.dirOf(id));
      this.accounts.set(id, record);
      this.initializing.delete(id);
      this.deviceKeys.delete(id);
    });
    this.options.logger.info({ accountId: id, jamiId: record.jamiId }, 'account stored');
    this.emit('ready', id);
    // Its devices are known from now on (this one, and the one it was linked from), as jamid announces them.
    this.emit('devicesChanged', id);
    return { record, deviceChainPem: device.chainPem };
  }

  private async deleteStored(id: string): Promise<void> {
    await this.serialize(id, async () => {
      if (!this.accounts.has(id)) return;
      await removeDirectoryAtomically(this.dirOf(id), path.join(this.dataDir, `.trash-${id}-${randomBytes(4).toString('hex')}`));
      this.accounts.delete(id);
    });
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
        const stored = JSON.parse(await fs.readFile(path.join(full, FILES.details), 'utf8')) as AccountRecord;
        const chain = await fs.readFile(path.join(full, FILES.deviceCert), 'utf8');
        if (stored.id !== entry.name || !verifyDeviceChain(chain, stored.jamiId)) throw new Error('inconsistent account files');
        // Accounts written before display names and device lists were kept get them from what they have.
        this.accounts.set(stored.id, {
          ...stored,
          displayName: stored.displayName ?? stored.alias,
          devices: stored.devices ?? { [stored.deviceId]: stored.deviceName },
        });
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

  /** As jamid names a device: the host name, unless the client gave a name. */
  private deviceNameOr(name: string | undefined): string {
    return name || this.options.defaultDeviceName || os.hostname() || 'jami-linkd device';
  }

  private newId(): string {
    let id: string;
    do id = randomBytes(8).toString('hex');
    while (this.accounts.has(id) || this.initializing.has(id));
    return id;
  }
}

/** Each call gives the ms since the previous one (the first: since the stopwatch was made), to 0.01 ms. */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const elapsed = Math.round((now - last) * 100) / 100;
    last = now;
    return elapsed;
  };
}

/** An account removed while it was being made: its creation ends quietly. */
class AccountGoneError extends Error {
  constructor(id: string) {
    super(`account ${id} was removed`);
  }
}
