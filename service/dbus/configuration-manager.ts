// cx.ring.Ring.ConfigurationManager: each D-Bus method, its argument checks, and the call it makes.
// Reading this file tells the whole public API; the work happens in accounts/ and linking/.

import type { AccountStore } from '../accounts/account-store.js';
import type { LinkOperations } from '../linking/link-operations.js';
import { invalidArgument } from './errors.js';
import type { MethodImplementation } from './exported-object.js';

export interface ConfigurationManagerDeps {
  accounts: AccountStore;
  links: LinkOperations;
  /** Account.registrationStatus of a stored account. */
  registrationStatus(): string;
}

const MAX_DETAIL_LENGTH = 4096;
const KNOWN_ARCHIVE_URLS = new Set(['', 'jami-auth']);

type Details = Record<string, string>;

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
  if (details['Account.archivePath'] !== undefined) {
    throw invalidArgument('Account.archivePath (import from a file) is not supported yet');
  }
}

export function configurationManager({ accounts, links, registrationStatus }: ConfigurationManagerDeps): Record<string, MethodImplementation> {
  const string = (value: unknown) => value as string;
  return {
    async addAccount([details]) {
      const map = details as Details;
      checkDetails(map);
      const common = { alias: map['Account.alias'], deviceName: map['Account.deviceName'] };
      if (map['Account.archiveURL'] === 'jami-auth') {
        const id = accounts.createPending(common);
        links.startImport(id);
        return id;
      }
      return accounts.create({ ...common, password: map['Account.archivePassword'] || undefined });
    },

    async removeAccount([accountId]) {
      const id = string(accountId);
      links.cancelImport(id);
      links.cancelExportsOf(id);
      await accounts.remove(id);
    },

    provideAccountAuthentication([accountId, credentials, scheme]) {
      return links.provideAccountAuthentication(string(accountId), string(credentials), string(scheme));
    },

    addDevice([accountId, uri]) {
      return links.addDevice(string(accountId), string(uri));
    },

    confirmAddDevice([accountId, opId]) {
      return links.confirmAddDevice(string(accountId), opId as number);
    },

    cancelAddDevice([accountId, opId]) {
      return links.cancelAddDevice(string(accountId), opId as number);
    },

    getAccountList() {
      return accounts.list();
    },

    getAccountDetails([accountId]): Details {
      const id = string(accountId);
      const record = accounts.get(id);
      if (record) {
        return {
          'Account.type': record.type,
          'Account.alias': record.alias,
          'Account.username': record.jamiId,
          'Account.deviceID': record.deviceId,
          'Account.deviceName': record.deviceName,
          'Account.archiveHasPassword': String(record.archiveHasPassword),
          'Account.enable': String(record.enable),
        };
      }
      const pending = accounts.getPending(id);
      if (!pending) return {};
      return {
        'Account.type': 'RING',
        'Account.alias': pending.alias,
        'Account.username': '',
        'Account.deviceID': '',
        'Account.deviceName': pending.deviceName,
        'Account.archiveHasPassword': 'false',
        'Account.enable': 'true',
        'Account.archiveURL': 'jami-auth',
      };
    },

    getVolatileAccountDetails([accountId]): Details {
      const id = string(accountId);
      if (accounts.get(id)) return { 'Account.registrationStatus': registrationStatus() };
      if (accounts.getPending(id)) return { 'Account.registrationStatus': 'INITIALIZING' };
      return {};
    },
  };
}
