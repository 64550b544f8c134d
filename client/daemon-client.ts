// jami-link's D-Bus session with the daemon: one method per ConfigurationManager call (with its
// signature), its two link signals as events, and a clear error when the daemon is not there.

import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
// dbus-next is loaded by connect() only (lean-dbus.ts: without xml2js): `jami-link --help` and a usage error need neither.
import type dbus from 'dbus-next';
import { DEFAULT_BUS_NAME, INTERFACE_NAME, OBJECT_PATH } from '../service/config.js';
import { printable, printableDetails } from './printable.js';

export type Details = Record<string, string>;

export interface BusChoice {
  /** "session", "system" or a D-Bus address. */
  bus: string;
  busName: string;
}

export const START_HINT = 'Start it with:  systemctl --user start jami-linkd   (or run: jami-linkd)';

/** No bus to connect to, or nobody owns the daemon's name: exit code daemonNotRunning. */
export class DaemonNotRunningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonNotRunningError';
  }
}

/** A call the daemon answered with a D-Bus error (e.g. cx.ring.Ring.Error.InvalidArgument). */
export class DaemonCallError extends Error {
  constructor(
    readonly member: string,
    readonly errorName: string,
    message: string,
    /** The daemon's own one-line message, without the member name. */
    readonly text: string = message,
  ) {
    super(message);
    this.name = 'DaemonCallError';
  }
}

const BUS_DAEMON = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };
const NOT_RUNNING_ERRORS = new Set(['org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NameHasNoOwner']);
const CONNECT_TIMEOUT_MS = 10000;

/** The bus address for a --bus value; undefined when there is no session bus at all. */
export function busAddressFor(which: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (which === 'system') return env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';
  if (which !== 'session') return which;
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  const runtime = env.XDG_RUNTIME_DIR ?? (typeof process.getuid === 'function' ? `/run/user/${process.getuid()}` : undefined);
  if (runtime && existsSync(`${runtime}/bus`)) return `unix:path=${runtime}/bus`;
  return undefined;
}

function describeBus(which: string): string {
  return which === 'session' || which === 'system' ? `the ${which} bus` : `the bus at ${which}`;
}

export interface DaemonClientEvents {
  deviceAuthStateChanged: [accountId: string, state: number, details: Details];
  addDeviceStateChanged: [accountId: string, opId: number, state: number, details: Details];
  /** An account's registration state (INITIALIZING until the daemon stored it). */
  registrationStateChanged: [accountId: string, state: string];
  /** The daemon released its bus name (stopped or crashed). */
  daemonGone: [];
}

/** How long a new or imported account may take to be stored (RSA-4096 keys take seconds). */
const STORE_TIMEOUT_MS = 120_000;

/** The daemon as jami-link's commands use it (DaemonClient on the bus; a fake in unit tests). */
export interface LinkDaemon extends EventEmitter<DaemonClientEvents> {
  addAccount(details: Details): Promise<string>;
  removeAccount(accountId: string): Promise<void>;
  provideAccountAuthentication(accountId: string, credentials: string, scheme: string): Promise<boolean>;
  addDevice(accountId: string, uri: string): Promise<number>;
  confirmAddDevice(accountId: string, opId: number): Promise<boolean>;
  cancelAddDevice(accountId: string, opId: number): Promise<boolean>;
  getAccountList(): Promise<string[]>;
  getAccountDetails(accountId: string): Promise<Details>;
  /** Resolves once the daemon stored an account addAccount listed (its registration state left INITIALIZING). */
  accountStored(accountId: string): Promise<void>;
  /** Writes a backup of the account's archive to `destinationPath` (absolute); scheme "" or "password". */
  exportToFile(accountId: string, destinationPath: string, scheme: string, password: string): Promise<boolean>;
  close(): void;
}

export type ConnectDaemon = (choice: BusChoice) => Promise<LinkDaemon>;

/** Connects for one command's work; the connection is closed however the work ends. */
export async function withDaemon<T>(bus: BusChoice, work: (daemon: LinkDaemon) => Promise<T>, connect: ConnectDaemon = DaemonClient.connect): Promise<T> {
  const daemon = await connect(bus);
  try {
    return await work(daemon);
  } finally {
    daemon.close();
  }
}

export class DaemonClient extends EventEmitter<DaemonClientEvents> implements LinkDaemon {
  /** Unique name (":1.42") of the daemon, from which alone signals are accepted. */
  private owner = '';
  /** Registration states heard so far: a state may arrive in the same read as the reply that caused it. */
  private readonly registration = new Map<string, string>();

  private constructor(
    private readonly dbus: DbusLibrary,
    private readonly bus: dbus.MessageBus,
    readonly busName: string,
  ) {
    super();
    bus.on('message', (message) => this.onMessage(message));
  }

  /**
   * Connects to the bus, subscribes to the daemon's signals and checks that the daemon is there
   * (or D-Bus-activatable). Subscriptions are in place before this resolves, so no signal is lost.
   */
  static async connect({ bus: which, busName = DEFAULT_BUS_NAME }: BusChoice, env: NodeJS.ProcessEnv = process.env): Promise<DaemonClient> {
    const address = busAddressFor(which, env);
    if (!address) {
      throw new DaemonNotRunningError(
        'there is no session bus (DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus does not exist).\n' +
          'If jami-linkd started its own bus, export the DBUS_SESSION_BUS_ADDRESS it printed, or pass --bus ADDRESS.\n' +
          START_HINT,
      );
    }
    const library = await loadDbus();
    const bus = library.sessionBus({ busAddress: address });
    try {
      await connected(bus);
    } catch (error) {
      bus.disconnect();
      throw new DaemonNotRunningError(`cannot connect to ${describeBus(which)} (${(error as Error).message}).\n${START_HINT}`);
    }
    const client = new DaemonClient(library, bus, busName);
    // A broken bus connection ends the session like a daemon that left: no more signals can come.
    bus.on('error', () => client.emit('daemonGone'));
    try {
      await client.busCall('AddMatch', 's', [`type='signal',sender='${busName}',path='${OBJECT_PATH}',interface='${INTERFACE_NAME}'`]);
      await client.busCall('AddMatch', 's', [`type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${busName}'`]);
      const hasOwner = (await client.busCall('NameHasOwner', 's', [busName])) as boolean;
      if (hasOwner) {
        client.owner = (await client.busCall('GetNameOwner', 's', [busName])) as string;
        const other = await client.ownerProgramIfNotJamiLinkd();
        // E.g. Jami's own jamid, started by its activation file: our calls would go to it.
        if (other !== undefined) process.stderr.write(`jami-link: note: ${busName} is owned by ${other}, not jami-linkd (see --bus-name)\n`);
      } else {
        const activatable = (await client.busCall('ListActivatableNames', '', [])) as string[];
        if (!activatable.includes(busName)) {
          throw new DaemonNotRunningError(`jami-linkd is not running: nobody owns ${busName} on ${describeBus(which)}.\n${START_HINT}`);
        }
      }
    } catch (error) {
      bus.disconnect();
      throw error;
    }
    return client;
  }

  addAccount(details: Details): Promise<string> {
    return this.call('addAccount', 'a{ss}', [details]) as Promise<string>;
  }

  async removeAccount(accountId: string): Promise<void> {
    await this.call('removeAccount', 's', [accountId]);
  }

  provideAccountAuthentication(accountId: string, credentials: string, scheme: string): Promise<boolean> {
    return this.call('provideAccountAuthentication', 'sss', [accountId, credentials, scheme]) as Promise<boolean>;
  }

  addDevice(accountId: string, uri: string): Promise<number> {
    return this.call('addDevice', 'ss', [accountId, uri]) as Promise<number>;
  }

  confirmAddDevice(accountId: string, opId: number): Promise<boolean> {
    return this.call('confirmAddDevice', 'su', [accountId, opId]) as Promise<boolean>;
  }

  cancelAddDevice(accountId: string, opId: number): Promise<boolean> {
    return this.call('cancelAddDevice', 'su', [accountId, opId]) as Promise<boolean>;
  }

  async getAccountList(): Promise<string[]> {
    return ((await this.call('getAccountList', '', [])) as string[]).map(printable);
  }

  async getAccountDetails(accountId: string): Promise<Details> {
    return printableDetails((await this.call('getAccountDetails', 's', [accountId])) as Details);
  }

  async accountStored(accountId: string): Promise<void> {
    const stored = (state: string | undefined) => state !== undefined && state !== 'INITIALIZING';
    const heard = new Promise<string>((resolve, reject) => {
      const onState = (id: string, state: string) => {
        if (id === accountId && stored(state)) done(() => resolve(state));
      };
      const onGone = () => done(() => reject(new DaemonNotRunningError(`jami-linkd stopped before account ${accountId} was stored`)));
      const timer = setTimeout(() => done(() => reject(new Error(`account ${accountId} was not stored within ${STORE_TIMEOUT_MS / 1000} s`))), STORE_TIMEOUT_MS);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.off('registrationStateChanged', onState);
        this.off('daemonGone', onGone);
        settle();
      };
      this.on('registrationStateChanged', onState);
      this.on('daemonGone', onGone);
      const known = this.registration.get(accountId);
      if (stored(known)) onState(accountId, known!);
    });
    const current = ((await this.call('getVolatileAccountDetails', 's', [accountId])) as Details)['Account.registrationStatus'];
    if (current === undefined) throw new DaemonCallError('addAccount', '', `the daemon has no account ${accountId} any more`);
    if (stored(current)) this.emit('registrationStateChanged', accountId, current);
    const state = await heard;
    if (state.startsWith('ERROR')) throw new DaemonCallError('addAccount', '', `the daemon could not store account ${accountId} (${state})`);
  }

  exportToFile(accountId: string, destinationPath: string, scheme: string, password: string): Promise<boolean> {
    return this.call('exportToFile', 'ssss', [accountId, destinationPath, scheme, password]) as Promise<boolean>;
  }

  close(): void {
    this.bus.disconnect();
  }

  private async call(member: string, signature: string, body: unknown[]): Promise<unknown> {
    const message = new this.dbus.Message({ destination: this.busName, path: OBJECT_PATH, interface: INTERFACE_NAME, member, signature, body });
    try {
      const reply = await this.bus.call(message);
      return reply?.body[0];
    } catch (error) {
      const name = error instanceof this.dbus.DBusError ? error.type : '';
      const text = error instanceof this.dbus.DBusError ? error.text : (error as Error).message;
      if (NOT_RUNNING_ERRORS.has(name)) {
        throw new DaemonNotRunningError(`jami-linkd is not running (${member}: ${text}).\n${START_HINT}`);
      }
      throw new DaemonCallError(member, name, `${member} failed: ${text}`, text);
    }
  }

  /** "jamid (pid 123)" when the name's owner is another program than jami-linkd; undefined when it is ours
   *  or cannot be told (another machine's bus, no /proc). */
  private async ownerProgramIfNotJamiLinkd(): Promise<string | undefined> {
    let pid: number;
    try {
      pid = (await this.busCall('GetConnectionUnixProcessID', 's', [this.owner])) as number;
    } catch {
      return undefined;
    }
    let command: string[];
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      return undefined;
    }
    if (command.some((part) => /jami-linkd(\.c?js)?$/.test(part))) return undefined;
    const program = (command[0] ?? 'an unknown program').split('/').at(-1)!;
    return `${printable(program).slice(0, 64)} (pid ${pid})`;
  }

  private async busCall(member: string, signature: string, body: unknown[]): Promise<unknown> {
    const reply = await this.bus.call(new this.dbus.Message({ ...BUS_DAEMON, member, signature, body }));
    return reply?.body[0];
  }

  private onMessage(message: dbus.Message): void {
    if (message.type !== this.dbus.MessageType.SIGNAL) return;
    if (message.sender === 'org.freedesktop.DBus' && message.member === 'NameOwnerChanged' && message.body[0] === this.busName) {
      const [, oldOwner, newOwner] = message.body as [string, string, string];
      this.owner = newOwner;
      if (!newOwner && oldOwner) this.emit('daemonGone');
      return;
    }
    if (message.sender !== this.owner || message.path !== OBJECT_PATH || message.interface !== INTERFACE_NAME) return;
    const body = message.body;
    if (message.member === 'deviceAuthStateChanged') {
      this.emit('deviceAuthStateChanged', printable(body[0] as string), body[1] as number, printableDetails(body[2] as Details));
    } else if (message.member === 'addDeviceStateChanged') {
      this.emit('addDeviceStateChanged', printable(body[0] as string), body[1] as number, body[2] as number, printableDetails(body[3] as Details));
    } else if (message.member === 'registrationStateChanged') {
      this.registration.set(body[0] as string, body[1] as string);
      this.emit('registrationStateChanged', body[0] as string, body[1] as string);
    }
  }
}

type DbusLibrary = typeof dbus;

async function loadDbus(): Promise<DbusLibrary> {
  return (await import('../service/dbus/lean-dbus.js')).leanDbus();
}

function connected(bus: dbus.MessageBus): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from the bus')), CONNECT_TIMEOUT_MS);
    bus.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    bus.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
