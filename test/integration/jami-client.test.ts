// Replays what Jami's Qt client (jami-client-qt HEAD) does over D-Bus, against two real jami-linkd daemons:
// the exact maps and arguments it sends, and what it needs back at each step (notes/jami-head-facts.md §3, §8).

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import dbus from 'dbus-next';
import { INSTANCE_INTERFACE, INSTANCE_PATH, INTERFACE_NAME, OBJECT_PATH } from '../../service/config.js';
import { startLinkNetwork, startSide, stopSide, startImport, startExport, type Details, type LinkNetwork, type Side, type StateRecord } from '../support/link-fixture.js';
import { tempDir } from '../support/daemon-process.js';
import { rememberSecret } from '../support/secrets.js';
import { withTimeout } from '../support/wait.js';

const DEVICE_ID = /^[0-9a-f]{64}$/;
const JAMI_ID = /^[0-9a-f]{40}$/;
const PEER_ADDRESS = /^127\.0\.0\.1:\d+$/;
const PASSWORD = rememberSecret('c2cvc3jmbafsw');

/** The statuses the client knows (Q:src/core/api/account.h to_status); any other one is "invalid". */
const CLIENT_STATUSES = new Set(['INITIALIZING', 'UNREGISTERED', 'TRYING', 'REGISTERED', 'READY', 'ERROR_NEED_MIGRATION']);

/** The client's text for a DONE error word (Q:src/core/api/account.h mapLinkDeviceError/getLinkDeviceString). */
const PASSWORD_MESSAGE = 'An authentication error occurred while linking the device. Please check credentials and try again.';
function clientLinkMessage(error: string | undefined): string {
  switch (error) {
    case '': case 'none': case undefined: return '';
    case 'auth_error': case 'invalid_credentials': return PASSWORD_MESSAGE;
    case 'network': return 'A network error occurred while linking the account. Please verify your connection and try again.';
    case 'timeout': return 'The operation timed out. Please try again.';
    case 'state': return 'An error occurred while exporting the account. Please try again.';
    case 'canceled': return 'The operation was canceled by the user.';
    default: return 'An unexpected error occurred while linking the device. Please try again.';
  }
}

/** AccountModel::createNewAccount (Q:src/core/accountmodel.cpp): the template, then the keys it always sets. */
function createNewAccountMap(template: Details, alias: string, password = '', archivePath = ''): Details {
  return {
    ...template,
    // QMap's operator[] in the "no archiveURL and no managerUri" test inserts the key.
    'Account.archiveURL': '',
    'Account.type': 'RING',
    'Account.displayName': alias,
    'Account.alias': alias,
    'Account.upnpEnabled': 'true',
    'Account.archivePassword': password,
    'Account.archivePath': archivePath,
  };
}

/** AccountModel::createDeviceImportAccount: the template plus the type and the link marker, nothing else. */
function createDeviceImportAccountMap(template: Details): Details {
  return { ...template, 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth' };
}

interface Pulled {
  details: Details;
  volatile: Details;
  credentials: Details[];
}

/**
 * What jami-client-qt's AccountModel and DeviceModel keep of a daemon: it learns accounts from accountsChanged +
 * getAccountList and pulls each new one (addToAccounts); it takes a Jami account as added when a registration
 * state other than INITIALIZING follows an INITIALIZING pull (slotAccountStatusChanged), then pulls it again
 * (updateAccountDetails); its device list is the pull made at addToAccounts, replaced by each knownDevicesChanged.
 * Signals are handled one at a time, in arrival order, as the client's event loop handles them.
 */
class QtAccountModel extends EventEmitter {
  readonly status = new Map<string, string>();
  readonly firstPull = new Map<string, Pulled>();
  readonly added = new Map<string, Pulled>();
  readonly devices = new Map<string, Details>();
  readonly failures = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly side: Side) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    for (const id of await this.call<string[]>('getAccountList')) await this.addToAccounts(id);
    const client = this.side.client;
    client.on('accountsChanged', () => this.handle(() => this.onAccountsChanged()));
    client.on('registrationStateChanged', (id: string, state: string) => this.handle(() => this.onStatus(id, state)));
    client.on('knownDevicesChanged', (id: string, devices: Details) => this.handle(async () => {
      if (this.status.has(id)) this.devices.set(id, devices);
      this.emit('devices', id);
    }));
  }

  /** Resolves with the pull made once `id` is added; rejects as soon as the client would show a failure. */
  whenAdded(id: string, ms = 60000): Promise<Pulled> {
    return withTimeout(new Promise<Pulled>((resolve, reject) => {
      const check = () => {
        const failure = this.failures.get(id);
        if (failure !== undefined) reject(new Error(`the client would report a failure for ${id}: ${failure}`));
        else if (this.added.has(id)) resolve(this.added.get(id)!);
        else this.once('change', check);
      };
      check();
    }), ms, () => `the client's accountAdded(${id}); status ${this.status.get(id)}`);
  }

  /** Resolves once the client's device list of `id` satisfies `accept`. */
  whenDevices(id: string, accept: (devices: Details) => boolean, ms = 30000): Promise<Details> {
    return withTimeout(new Promise<Details>((resolve) => {
      const check = () => {
        const devices = this.devices.get(id) ?? {};
        if (accept(devices)) resolve(devices);
        else this.once('devices', check);
      };
      check();
    }), ms, () => `the client's device list of ${id}, now ${JSON.stringify(this.devices.get(id))}`);
  }

  /** Resolves once every signal received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.side.client.call<T>(method, ...args);
  }

  private handle(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).then(() => void this.emit('change'), (error: Error) => {
      this.emit('error', error);
    });
  }

  private async pull(id: string): Promise<Pulled> {
    const details = await this.call<Details>('getAccountDetails', id);
    const volatile = await this.call<Details>('getVolatileAccountDetails', id);
    const credentials = await this.call<Details[]>('getCredentials', id);
    return { details, volatile, credentials };
  }

  private async addToAccounts(id: string): Promise<void> {
    const pulled = await this.pull(id);
    this.firstPull.set(id, pulled);
    this.status.set(id, pulled.volatile['Account.registrationStatus']);
    this.devices.set(id, await this.call<Details>('getKnownRingDevices', id));
  }

  private async onAccountsChanged(): Promise<void> {
    const list = await this.call<string[]>('getAccountList');
    for (const id of list) if (!this.status.has(id)) await this.addToAccounts(id);
    for (const id of [...this.status.keys()]) {
      if (list.includes(id)) continue;
      this.status.delete(id);
      if (!this.added.has(id)) this.failures.set(id, 'accountRemoved');
    }
  }

  private async onStatus(id: string, state: string): Promise<void> {
    const stored = this.status.get(id);
    if (stored === undefined) return;
    if (!CLIENT_STATUSES.has(state)) {
      this.failures.set(id, `invalidAccountDetected (${state})`);
      return;
    }
    this.status.set(id, state);
    if (stored === 'INITIALIZING' && state !== 'INITIALIZING') this.added.set(id, await this.pull(id));
  }
}

/** Calls a member of any object and interface of the daemon, as a raw D-Bus message. */
function callRaw(side: Side, objectPath: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<dbus.Message | null> {
  return side.client.bus.call(new dbus.Message({ destination: side.daemon.busName, path: objectPath, interface: iface, member, signature, body }));
}

describe('Jami\'s Qt client (jami-client-qt HEAD) against jami-linkd', function () {
  this.timeout(120000);
  let network: LinkNetwork;
  let oldDevice: Side;
  let newDevice: Side;
  let oldModel: QtAccountModel;
  let newModel: QtAccountModel;
  let template: Details;
  let files: string;

  before(async () => {
    network = await startLinkNetwork();
    [oldDevice, newDevice] = await Promise.all([startSide(network.dht), startSide(network.dht)]);
    oldModel = new QtAccountModel(oldDevice);
    newModel = new QtAccountModel(newDevice);
    await Promise.all([oldModel.start(), newModel.start()]);
    template = await oldDevice.client.call<Details>('getAccountTemplate', 'RING');
    files = tempDir('jami-client-backups-');
  });

  after(async () => {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await network?.stop();
  });

  /** createNewAccount as the wizard calls it, until the client's accountAdded. */
  async function createAccount(side: Side, model: QtAccountModel, alias: string, password = '', archivePath = ''): Promise<{ id: string; added: Pulled }> {
    const id = await side.client.call<string>('addAccount', createNewAccountMap(template, alias, password, archivePath));
    return { id, added: await model.whenAdded(id) };
  }

  describe('start-up (Lrc, InstanceManager)', () => {
    it('answers Instance.Register(pid, "") and Unregister(pid), the client\'s first and last calls', async () => {
      const registered = await callRaw(newDevice, INSTANCE_PATH, INSTANCE_INTERFACE, 'Register', 'is', [process.pid, '']);
      assert.equal(registered?.type, dbus.MessageType.METHOD_RETURN);
      const unregistered = await callRaw(newDevice, INSTANCE_PATH, INSTANCE_INTERFACE, 'Unregister', 'i', [process.pid]);
      assert.equal(unregistered?.type, dbus.MessageType.METHOD_RETURN);
      // jami-linkd outlives its last client (jamid would quit without --persistent): it still answers.
      assert.ok(Array.isArray(await newDevice.client.call('getAccountList')));
    });

    it('answers a member it does not have with org.freedesktop.DBus.Error.UnknownMethod, on both objects', async () => {
      const unknown = (error: { type?: string }) => error.type === 'org.freedesktop.DBus.Error.UnknownMethod';
      await assert.rejects(callRaw(newDevice, INSTANCE_PATH, INSTANCE_INTERFACE, 'Quit'), unknown);
      await assert.rejects(callRaw(newDevice, OBJECT_PATH, INTERFACE_NAME, 'setAccountActive', 'sb', ['0', true]), unknown);
    });
  });

  describe('creating a new account (AccountAdapter::createJamiAccount)', () => {
    it('gives a RING template that addAccount takes whole, with the keys createNewAccount adds', () => {
      // The template is what the client merges into every addAccount; it must carry the type the client keeps.
      assert.equal(template['Account.type'], 'RING');
      assert.ok(Object.keys(template).length > 10, `a real template: ${JSON.stringify(template)}`);
    });

    it('adds the account: INITIALIZING when pulled after accountsChanged, then a registration state the client takes as added', async () => {
      const signalsBefore = oldDevice.client.signals.length;
      const { id, added } = await createAccount(oldDevice, oldModel, 'Alice');
      assert.equal(oldModel.firstPull.get(id)!.volatile['Account.registrationStatus'], 'INITIALIZING');
      const states = oldDevice.client.signals.slice(signalsBefore).filter(({ name, args }) => name === 'registrationStateChanged' && args[0] === id);
      const leaving = states.find(({ args }) => args[1] !== 'INITIALIZING')!;
      assert.ok(['UNREGISTERED', 'TRYING', 'REGISTERED'].includes(leaving.args[1] as string), `left INITIALIZING for ${leaving.args[1]}`);
      assert.deepEqual(leaving.args.slice(2), [0, ''], 'code 0 and an empty detail, as jamid sends for Jami accounts');
      // updateAccountDetails, right after accountAdded.
      assert.equal(added.details['Account.displayName'], 'Alice');
      assert.equal(added.details['Account.alias'], 'Alice');
      assert.match(added.details['Account.username'], JAMI_ID);
      assert.match(added.volatile['Account.deviceID'], DEVICE_ID);
      assert.deepEqual(added.credentials, []);
      const devices = await oldDevice.client.call<Details>('getKnownRingDevices', id);
      assert.deepEqual(devices, { [added.volatile['Account.deviceID']]: os.hostname() }, 'this device, named after the host as jamid names it');
    });

    it('shows the new account\'s device in the client\'s device list (pulled while INITIALIZING, then knownDevicesChanged)', async () => {
      // DeviceModel pulls getKnownRingDevices once, at addToAccounts, when the account has no device yet; jamid
      // then emits knownDevicesChanged({own device: host name}) when the device joins (foundAccountDevice, facts §4).
      const { id, added } = await createAccount(oldDevice, oldModel, 'Bob');
      assert.deepEqual(oldModel.firstPull.get(id)!.volatile['Account.deviceID'], undefined, 'no device id while INITIALIZING');
      const deviceId = added.volatile['Account.deviceID'];
      await oldModel.whenDevices(id, (devices) => deviceId in devices, 15000);
    });
  });

  describe('backups (ManageAccountPage, import from backup)', () => {
    it('backs up an account without a password as exportToFile(id, path, "password", "") does: a plain gzip archive, which imports again', async () => {
      const { id, added } = await createAccount(oldDevice, oldModel, 'Backed up');
      const file = path.join(files, 'plain.gz');
      assert.equal(await oldDevice.client.call('exportToFile', id, file, 'password', ''), true);
      const bytes = readFileSync(file);
      assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'a gzip file');
      assert.equal(typeof JSON.parse(gunzipSync(bytes).toString('utf8')), 'object');
      // Import from backup: createNewAccount with the file and an empty password (the wizard's alias is empty).
      const imported = await createAccount(newDevice, newModel, '', '', file);
      assert.equal(imported.added.details['Account.username'], added.details['Account.username']);
      assert.equal(imported.added.details['Account.displayName'], 'Backed up', 'the display name comes from the archive');
      assert.notEqual(imported.added.volatile['Account.deviceID'], added.volatile['Account.deviceID'], 'a new device');
    });

    it('backs up a password account encrypted with its password, which imports again with that password', async () => {
      const { id, added } = await createAccount(oldDevice, oldModel, 'Locked', PASSWORD);
      assert.equal(added.details['Account.archiveHasPassword'], 'true');
      const file = path.join(files, 'locked.gz');
      assert.equal(await oldDevice.client.call('exportToFile', id, file, 'password', ''), false, 'not without its password');
      assert.equal(await oldDevice.client.call('exportToFile', id, file, 'password', PASSWORD), true);
      const bytes = readFileSync(file);
      assert.throws(() => gunzipSync(bytes), 'encrypted, not plain gzip');
      assert.ok(!bytes.includes(Buffer.from(added.details['Account.username'])), 'the Jami ID is not readable in it');
      const imported = await createAccount(newDevice, newModel, '', PASSWORD, file);
      assert.equal(imported.added.details['Account.username'], added.details['Account.username']);
      assert.equal(imported.added.details['Account.archiveHasPassword'], 'true');
    });

    // A deliberate difference (README, "Jami compatibility"): jamid lists such an account, then ERROR_GENERIC and
    // removes it; jami-linkd refuses it in addAccount itself (cx.ring.Ring.Error.WrongPassword), so nothing is
    // ever listed. Jami's Qt wizard then gets an empty id and waits: a known limit of this choice.
    it('refuses a backup opened with a wrong password in addAccount itself, listing nothing (differs from jamid, documented)', async () => {
      const { id } = await createAccount(oldDevice, oldModel, 'Wrongly opened', PASSWORD);
      const file = path.join(files, 'wrongly-opened.gz');
      assert.equal(await oldDevice.client.call('exportToFile', id, file, 'password', PASSWORD), true);
      const before = await newDevice.client.call<string[]>('getAccountList');
      await assert.rejects(
        newDevice.client.call<string>('addAccount', createNewAccountMap(template, '', 'not the password', file)),
        (error: { type?: string }) => error.type === 'cx.ring.Ring.Error.WrongPassword',
      );
      assert.deepEqual(await newDevice.client.call<string[]>('getAccountList'), before);
    });
  });

  describe('linking a new device (ImportFromDevicePage on the new device, LinkDeviceDialog on the old one)', () => {
    let plain: { id: string; jamiId: string; deviceId: string };
    let guarded: { id: string; jamiId: string };

    before(async () => {
      const [a, b] = await Promise.all([createAccount(oldDevice, oldModel, 'Plain'), createAccount(oldDevice, oldModel, 'Guarded', PASSWORD)]);
      plain = { id: a.id, jamiId: a.added.details['Account.username'], deviceId: a.added.volatile['Account.deviceID'] };
      guarded = { id: b.id, jamiId: b.added.details['Account.username'] };
    });

    /** startImportAccount, then the old device's addDevice and confirmAddDevice: until the new device's state 3. */
    async function linkUntilConsent(oldAccount: string) {
      const imported = await startImport(newDevice, createDeviceImportAccountMap(template));
      // LinkDeviceModel::addDevice: the trimmed token, jami-auth:// and 59 or 83 characters, else it refuses it.
      const token = imported.token.trim();
      assert.ok(token.startsWith('jami-auth://') && [59, 83].includes(token.length), `a token the client takes: ${token}`);
      const exported = await startExport(oldDevice, oldAccount, token);
      assert.ok(exported.opId > 0, `addDevice returned ${exported.opId}`);
      const { peer_address } = await exported.recorder.waitFor(3);
      assert.match(peer_address, PEER_ADDRESS, 'the dialog shows the new device\'s address');
      assert.ok(!imported.recorder.states.some(([s]) => s === 3), 'the new device waits for the old one\'s Confirm');
      assert.equal(await oldDevice.client.call('confirmAddDevice', oldAccount, exported.opId), true);
      const authenticating = await imported.recorder.waitFor(3);
      return { imported, exported, authenticating, peerAddress: peer_address };
    }

    /** Confirm on the page: the password field's text, scheme "password" unless it is empty (AccountModel). */
    function confirmOnNewDevice(accountId: string, field: string): Promise<boolean> {
      return newDevice.client.call<boolean>('provideAccountAuthentication', accountId, field, field === '' ? '' : 'password');
    }

    let linked: { id: string; deviceId: string } | undefined;

    it('links an account without a password once the new device\'s user confirms the Jami ID, and the wizard closes on accountAdded', async () => {
      const { imported, exported, authenticating, peerAddress } = await linkUntilConsent(plain.id);
      assert.deepEqual(authenticating, { auth_scheme: '', peer_id: plain.jamiId }, 'no password field; the Jami ID to confirm');
      assert.equal(newModel.firstPull.get(imported.accountId)?.volatile['Account.registrationStatus'], 'INITIALIZING');

      // The page looks the Jami ID up (NameDirectory.lookupAddress) while the user reads it.
      const found = new Promise<unknown[]>((resolve) => newDevice.client.once('registeredNameFound', (...args: unknown[]) => resolve(args)));
      assert.equal(await newDevice.client.call('lookupAddress', imported.accountId, '', plain.jamiId), true);
      const [account, requestName, status, , name] = await withTimeout(found, 10000, 'registeredNameFound');
      assert.deepEqual([account, requestName, status, name], [imported.accountId, plain.jamiId, 2, ''], 'not found: the page shows the bare Jami ID');
      await oldDevice.client.call('getAccountList'); // a round trip on the old device's bus too
      // Still waiting for the user on both sides: nothing of the account left the old device.
      assert.deepEqual(imported.recorder.states.map(([s]) => s), [1, 2, 3]);
      assert.deepEqual(exported.recorder.states.map(([s]) => s), [2, 3]);

      assert.equal(await confirmOnNewDevice(imported.accountId, ''), true);
      assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
      assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
      assert.deepEqual<StateRecord[]>(imported.recorder.states.slice(3), [[4, {}], [4, {}], [5, { error: '' }]]);
      assert.deepEqual<StateRecord[]>(exported.recorder.states, [[2, {}], [3, { peer_address: peerAddress, peer_address_type: 'host' }], [4, {}], [5, { error: '' }]]);
      assert.equal(clientLinkMessage(exported.recorder.states[3]![1].error), '', 'the dialog says the account was imported');

      const added = await newModel.whenAdded(imported.accountId);
      assert.equal(added.details['Account.username'], plain.jamiId);
      assert.equal(added.details['Account.displayName'], 'Plain', 'from the archive');
      const deviceId = added.volatile['Account.deviceID'];
      assert.match(deviceId, DEVICE_ID);
      assert.notEqual(deviceId, plain.deviceId);
      linked = { id: imported.accountId, deviceId };

      const onOld = await oldDevice.client.call<Details>('getKnownRingDevices', plain.id);
      assert.deepEqual(Object.keys(onOld).sort(), [plain.deviceId, deviceId].sort(), 'the old device lists the new one');
      assert.ok(oldDevice.client.signals.some(({ name, args }) => name === 'knownDevicesChanged' && args[0] === plain.id && deviceId in (args[1] as Details)));
      await oldModel.whenDevices(plain.id, (devices) => deviceId in devices, 1000);
      const onNew = await newDevice.client.call<Details>('getKnownRingDevices', imported.accountId);
      assert.deepEqual(Object.keys(onNew).sort(), [plain.deviceId, deviceId].sort(), 'the new device lists both');
    });

    it('shows both devices in the new device\'s client device list after the link (pulled while INITIALIZING, then knownDevicesChanged)', async function () {
      if (!linked) this.skip();
      // jamid emits knownDevicesChanged on the new device when its own device joins the account (onArchiveLoaded ->
      // foundAccountDevice, facts §4); it learns the old device later through the DHT, jami-linkd from the link.
      await newModel.whenDevices(linked!.id, (devices) => linked!.deviceId in devices && plain.deviceId in devices, 15000);
    });

    it('brings state 3 back with auth_error invalid_credentials after a wrong password and after an empty field; the right password links', async () => {
      const { imported, exported, authenticating } = await linkUntilConsent(guarded.id);
      assert.deepEqual(authenticating, { auth_scheme: 'password', peer_id: guarded.jamiId }, 'the password field is shown');
      const retry = { auth_scheme: 'password', peer_id: guarded.jamiId, auth_error: 'invalid_credentials' };
      for (const field of ['wrong password', '']) {
        const from = imported.recorder.states.length;
        assert.equal(await confirmOnNewDevice(imported.accountId, field), true);
        assert.deepEqual(await imported.recorder.waitFor(3, 30000, from), retry, `after ${JSON.stringify(field)}`);
        assert.equal(clientLinkMessage(retry.auth_error), PASSWORD_MESSAGE, 'the page shows its password message');
      }
      assert.deepEqual(exported.recorder.states.map(([s]) => s), [2, 3], 'no signal on the old device for a wrong try');
      assert.equal(await confirmOnNewDevice(imported.accountId, PASSWORD), true);
      assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
      assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
      assert.deepEqual(imported.recorder.states.map(([s]) => s), [1, 2, 3, 4, 3, 4, 3, 4, 4, 5]);
      const added = await newModel.whenAdded(imported.accountId);
      assert.equal(added.details['Account.username'], guarded.jamiId);
      assert.equal(added.details['Account.archiveHasPassword'], 'true');
    });

    it('ends with DONE auth_error on both sides after three wrong tries (the last an empty field); the account stays INITIALIZING until "Try again" removes it', async () => {
      const { imported, exported } = await linkUntilConsent(guarded.id);
      for (const [attempt, field] of ['wrong 1', 'wrong 2', ''].entries()) {
        const from = imported.recorder.states.length;
        assert.equal(await confirmOnNewDevice(imported.accountId, field), true);
        if (attempt < 2) await imported.recorder.waitFor(3, 30000, from);
      }
      const importDone = await imported.recorder.waitFor(5);
      const exportDone = await exported.recorder.waitFor(5);
      assert.deepEqual(importDone, { error: 'auth_error' });
      assert.deepEqual(exportDone, { error: 'auth_error' });
      assert.equal(clientLinkMessage(importDone.error), PASSWORD_MESSAGE, 'the page\'s password message');
      assert.equal(clientLinkMessage(exportDone.error), PASSWORD_MESSAGE, 'the dialog\'s password message');

      // Nothing may make the client overwrite that message with "error while creating the account": the account
      // stays listed, INITIALIZING, with no device, and no registration state comes (facts §1.8, §8.1).
      await newDevice.client.call('getAccountList'); // a round trip: signals sent with DONE have arrived
      await newModel.idle();
      assert.equal(newModel.failures.get(imported.accountId), undefined);
      assert.ok((await newDevice.client.call<string[]>('getAccountList')).includes(imported.accountId));
      const volatile = await newDevice.client.call<Details>('getVolatileAccountDetails', imported.accountId);
      assert.equal(volatile['Account.registrationStatus'], 'INITIALIZING');
      assert.equal(volatile['Account.deviceID'], undefined);
      assert.ok(!newDevice.client.signals.some(({ name, args }) => name === 'registrationStateChanged' && args[0] === imported.accountId && args[1] !== 'INITIALIZING'));

      // Try again: AccountAdapter::cancelImportAccount.
      const gone = new Promise<void>((resolve) => newDevice.client.once('accountsChanged', () => resolve()));
      await newDevice.client.call('removeAccount', imported.accountId);
      await withTimeout(gone, 10000, 'accountsChanged after removeAccount');
      assert.ok(!(await newDevice.client.call<string[]>('getAccountList')).includes(imported.accountId));
    });
  });
});
