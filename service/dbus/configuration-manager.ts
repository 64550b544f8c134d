// cx.ring.Ring.ConfigurationManager: each D-Bus method, its argument checks, and the call it makes.
// Reading this file tells the whole public API; the work happens in accounts/ and linking/.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DestinationError, TooManyPendingLinksError, type AccountStore } from '../accounts/account-store.js';
import { ArchiveError, MAX_ARCHIVE_FILE_BYTES } from '../accounts/archive.js';
import type { LinkOperations } from '../linking/link-operations.js';
import { RING_ACCOUNT_TEMPLATE } from './account-template.js';
import { DBusErrorName, invalidArgument, ServiceError } from './errors.js';
import type { MethodImplementation } from './exported-object.js';
import type { RegistrationStates } from './registration-states.js';

export interface ConfigurationManagerDeps {
  accounts: AccountStore;
  links: LinkOperations;
  registration: RegistrationStates;
  /** Told which client (unique bus name) started a link, to end it if that client leaves mid-way. */
  operationStarted(client: string, operation: { accountId: string; opId?: number }): void;
  /** registeredNameFound(accountId, requestName, status, address, name). */
  registeredNameFound(accountId: string, requestName: string, status: number, address: string, name: string): void;
  /** The TURN.* account details of the servers in use (account-template.ts turnDetailsOf); the template's otherwise. */
  turnDetails?: Readonly<Record<string, string>>;
}

/** registeredNameFound's status when there is no such name (jami-linkd has no name server). */
const NAME_NOT_FOUND = 2;

const MAX_DETAIL_LENGTH = 4096;
const KNOWN_ARCHIVE_URLS = new Set(['', 'jami-auth']);

type Details = Record<string, string>;

/**
 * The details of an addAccount as jamid reads them: Jami's clients send the whole account template, so keys
 * we do not use are ignored and an empty value means the key is absent (Account.archivePath "" = no file).
 */
function meaningfulDetails(details: Details): Details {
  return Object.fromEntries(Object.entries(details).filter(([, value]) => value !== ''));
}

function checkDetails(details: Details): void {
  for (const [key, value] of Object.entries(details)) {
    if (key.length > 256 || value.length > MAX_DETAIL_LENGTH) {
      throw invalidArgument(`detail ${key.slice(0, 64)} is too long (at most ${MAX_DETAIL_LENGTH} characters)`);
    }
  }
  const type = details['Account.type'];
  if (type !== undefined && type !== 'RING') throw invalidArgument(`Account.type must be RING, not "${type.slice(0, 32)}"`);
  const url = details['Account.archiveURL'] ?? '';
  if (!KNOWN_ARCHIVE_URLS.has(url)) throw invalidArgument('Account.archiveURL must be "jami-auth" (link from another device) or absent');
  if (url === 'jami-auth' && details['Account.archivePassword']) {
    throw invalidArgument('Account.archivePassword is given through provideAccountAuthentication when linking');
  }
  const archivePath = details['Account.archivePath'];
  if (archivePath !== undefined) {
    if (url) throw invalidArgument('give Account.archivePath or Account.archiveURL, not both');
    if (!path.isAbsolute(archivePath)) throw invalidArgument('Account.archivePath must be an absolute path');
  }
}

/** Reads an archive file named by a client, with errors that say what is wrong with it. */
async function readArchiveFile(file: string): Promise<Buffer> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw invalidArgument(`${file} is not a file`);
    if (stat.size > MAX_ARCHIVE_FILE_BYTES) throw new ServiceError(DBusErrorName.InvalidArchive, `${file} is too large to be an account archive`);
    return await fs.readFile(file);
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    throw invalidArgument(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Archive problems cross D-Bus with their own names: a wrong password is not a corrupt file. */
function archiveError(error: unknown): unknown {
  if (!(error instanceof ArchiveError)) return error;
  return new ServiceError(error.problem === 'bad_password' ? DBusErrorName.WrongPassword : DBusErrorName.InvalidArchive, error.message);
}

export function configurationManager({ accounts, links, registration, operationStarted, registeredNameFound, turnDetails = {} }: ConfigurationManagerDeps): Record<string, MethodImplementation> {
  const string = (value: unknown) => value as string;
  const isAccount = (id: string) => accounts.get(id) !== undefined || accounts.getInitializing(id) !== undefined;
  return {
    getAccountTemplate([accountType]): Details {
      return string(accountType) === 'RING' ? { ...RING_ACCOUNT_TEMPLATE } : {};
    },

    async addAccount([details], caller) {
      const map = meaningfulDetails(details as Details);
      checkDetails(map);
      const common = { alias: map['Account.alias'], displayName: map['Account.displayName'], deviceName: map['Account.deviceName'] };
      if (map['Account.archiveURL'] === 'jami-auth') {
        let id: string;
        try {
          id = accounts.beginLink(common);
        } catch (error) {
          if (error instanceof TooManyPendingLinksError) throw new ServiceError(DBusErrorName.LimitReached, error.message);
          throw error;
        }
        links.startImport(id);
        operationStarted(caller, { accountId: id });
        return id;
      }
      const archivePath = map['Account.archivePath'];
      if (archivePath !== undefined) {
        const bytes = await readArchiveFile(archivePath);
        return accounts
          .importArchive(bytes, { ...common, password: map['Account.archivePassword'] })
          .catch((error) => Promise.reject(archiveError(error)));
      }
      return accounts.create({ ...common, password: map['Account.archivePassword'] });
    },

    async removeAccount([accountId]) {
      const id = string(accountId);
      links.cancelImport(id);
      links.cancelExportsOf(id);
      await accounts.remove(id);
    },

    // As jamid: true whenever the account exists, whatever the link made of the call.
    provideAccountAuthentication([accountId, credentials, scheme]) {
      links.provideAccountAuthentication(string(accountId), string(credentials), string(scheme));
      return isAccount(string(accountId));
    },

    addDevice([accountId, uri], caller) {
      const opId = links.addDevice(string(accountId), string(uri));
      if (opId > 0) operationStarted(caller, { accountId: string(accountId), opId });
      return opId;
    },

    confirmAddDevice([accountId, opId]) {
      return links.confirmAddDevice(string(accountId), opId as number);
    },

    cancelAddDevice([accountId, opId]) {
      return links.cancelAddDevice(string(accountId), opId as number);
    },

    async exportToFile([accountId, destinationPath, scheme, password]) {
      const destination = string(destinationPath);
      if (!path.isAbsolute(destination)) throw invalidArgument('destinationPath must be an absolute path');
      try {
        return await accounts.exportArchive(string(accountId), destination, string(scheme), string(password));
      } catch (error) {
        if (error instanceof ArchiveError) return false;
        if (error instanceof DestinationError) throw invalidArgument(error.message);
        throw error;
      }
    },

    getAccountList() {
      return accounts.list();
    },

    getAccountDetails([accountId]): Details {
      const id = string(accountId);
      const record = accounts.get(id);
      if (record) {
        return {
          ...RING_ACCOUNT_TEMPLATE,
          ...turnDetails,
          'Account.type': record.type,
          'Account.alias': record.alias,
          'Account.displayName': record.displayName,
          'Account.username': record.jamiId,
          'Account.deviceID': record.deviceId,
          'Account.deviceName': record.deviceName,
          'Account.archiveHasPassword': String(record.archiveHasPassword),
          'Account.enable': String(record.enable),
        };
      }
      const initializing = accounts.getInitializing(id);
      if (!initializing) return {};
      return {
        ...RING_ACCOUNT_TEMPLATE,
        ...turnDetails,
        'Account.type': 'RING',
        'Account.alias': initializing.alias,
        'Account.displayName': initializing.displayName,
        'Account.username': '',
        'Account.deviceID': '',
        'Account.deviceName': initializing.deviceName,
        'Account.archiveHasPassword': 'false',
        'Account.enable': 'true',
        ...(initializing.stage === 'creating' ? {} : { 'Account.archiveURL': 'jami-auth' }),
      };
    },

    getVolatileAccountDetails([accountId]): Details {
      return registration.volatileDetails(string(accountId));
    },

    getKnownRingDevices([accountId]): Details {
      return accounts.knownDevices(string(accountId));
    },

    getCredentials(): Details[] {
      return [];
    },

    lookupAddress([accountId, , address]) {
      const id = string(accountId);
      if (id !== '' && !isAccount(id)) return false;
      registeredNameFound(id, string(address), NAME_NOT_FOUND, string(address), '');
      return true;
    },
  };
}
