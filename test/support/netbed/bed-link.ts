// Links across the bed, as two users on two networks would make them: one private dbus-daemon for the
// test, one jami-linkd per device started inside that device's namespace (the bed stops it by pid),
// and runLink(), which drives one whole link over D-Bus and records what each side showed.

import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { createBigAccount } from '../big-archive.js';
import { TestClient } from '../client.js';
import { ALL_LOGS_FILE, DAEMON_BIN } from '../daemon-process.js';
import type { Details } from '../link-fixture.js';
import { exportKey, importKey, LinkSignalLog, type TimedState } from '../link-signals.js';
import { startTestBus, type PrivateBus } from '../private-bus.js';
import { rememberSecret } from '../secrets.js';
import { describeStuckProcess } from '../stuck-process.js';
import { withTimeout } from '../wait.js';
import type { BedProcess } from './bed-process.js';
import type { NetBed } from './net-bed.js';
import { hostPort, type Addresses, type DevicePlan } from './plan.js';
import { DHT_PORT, startDhtNode, type DhtService, type SpawnInWan } from './wan-services.js';

const READY_MS = 30000;

/** A jami-linkd running inside one device's namespace, and the test's D-Bus client of it. */
export interface BedDaemon {
  readonly device: DevicePlan;
  readonly busName: string;
  readonly process: BedProcess;
  readonly client: TestClient;
  /** Every link signal its client saw. */
  readonly log: LinkSignalLog;
}

export interface DaemonSettings {
  /** --ice-server values; empty: `--ice-server none`. */
  readonly iceServers: readonly string[];
  /** --bootstrap (default: the bed's dhtnode). */
  readonly bootstrap?: string;
  readonly extraArgs?: readonly string[];
}

/**
 * Where a single-family device binds (its own address: never loopback); a dual-stack device binds
 * no ICE address, so both families gather (its namespace holds only its own addresses anyway).
 */
function bindArgs(address: Addresses): string[] {
  const dht = address.ipv4 ?? address.ipv6!;
  const ice = address.ipv4 && address.ipv6 ? [] : ['--ice-bind', dht];
  return ['--dht-bind', dht, ...ice];
}

/** One bed's bus and daemons. The bus lives on the host: its socket is a path, reachable from every namespace. */
export class BedLinks {
  readonly #daemons = new Set<BedDaemon>();
  readonly #dataRoot = mkdtempSync(path.join(os.tmpdir(), 'jami-linkd-netbed-data-'));
  #started = 0;
  #dhtNodes = 0;

  private constructor(
    readonly bed: NetBed,
    readonly bus: PrivateBus,
  ) {}

  static async start(bed: NetBed): Promise<BedLinks> {
    if (!bed.wan.dhtNode) throw new Error('links need the bed\'s dhtnode (dht: true)');
    return new BedLinks(bed, await startTestBus());
  }

  /** Starts jami-linkd inside `deviceName`'s namespace and connects a client; resolves once it is ready. */
  async startDaemon(deviceName: string, settings: DaemonSettings): Promise<BedDaemon> {
    const device = this.bed.device(deviceName);
    this.#started += 1;
    const busName = `cx.ring.Ring.netbed.${deviceName}.n${this.#started}`;
    const ice = settings.iceServers.length === 0 ? ['none'] : settings.iceServers;
    const args = [
      DAEMON_BIN,
      '--bus', this.bus.address,
      '--bus-name', busName,
      '--data-dir', path.join(this.#dataRoot, `${deviceName}-${this.#started}`),
      '--bootstrap', settings.bootstrap ?? this.bed.wan.dhtNode!.bootstrap,
      '--no-peer-discovery',
      ...bindArgs(device.address),
      '--key-bits', '2048',
      '--log-level', 'debug',
      // Kept with the bed's logs when a test failed: which DHT nodes a put or get that never answered asked.
      '--dht-log',
      ...ice.flatMap((url) => ['--ice-server', url]),
      ...(settings.extraArgs ?? []),
    ];
    const child = this.bed.spawn(device.namespace, process.execPath, args, { label: `jami-linkd-${deviceName}` });
    try {
      await child.waitForOutput(/"jami-linkd ready"/, READY_MS, 'that jami-linkd is ready');
    } catch (error) {
      await child.stop();
      throw error;
    }
    const client = await TestClient.connect(this.bus.address, busName);
    const daemon: BedDaemon = { device, busName, process: child, client, log: new LinkSignalLog(client) };
    this.#daemons.add(daemon);
    return daemon;
  }

  /** Stops one daemon (SIGTERM, by pid) and adds its log to the file the secrets test searches. */
  async stopDaemon(daemon: BedDaemon): Promise<void> {
    if (!this.#daemons.delete(daemon)) return;
    daemon.log.detach();
    daemon.client.close();
    await daemon.process.stop();
    if (daemon.process.stderr) appendFileSync(ALL_LOGS_FILE, daemon.process.stderr.endsWith('\n') ? daemon.process.stderr : `${daemon.process.stderr}\n`);
  }

  /**
   * Starts the old and the new device's daemons with the same settings, on a DHT of their own (a
   * fresh dhtnode in the wan), runs `body`, stops all three. Why a fresh DHT: the daemons of earlier
   * links linger in a dhtnode's routing table as dead nodes; after seven or eight links on one
   * dhtnode, puts and gets wait out their time-outs and links fail. That is the DHT's problem (a
   * larger DHT is tested elsewhere), not the network path's, which is what these links are about.
   */
  async withPair<T>(oldName: string, newName: string, settings: DaemonSettings, body: (pair: LinkPair) => Promise<T>): Promise<T> {
    const dht = await this.#freshDht();
    try {
      const own = { ...settings, bootstrap: settings.bootstrap ?? dht.bootstrap };
      const [oldDevice, newDevice] = await Promise.all([this.startDaemon(oldName, own), this.startDaemon(newName, own)]);
      try {
        return await body({ oldDevice, newDevice });
      } finally {
        await Promise.all([this.stopDaemon(oldDevice), this.stopDaemon(newDevice)]);
      }
    } finally {
      await dht.process.stop();
    }
  }

  #freshDht(): Promise<DhtService> {
    this.#dhtNodes += 1;
    const spawnInWan: SpawnInWan = (command, args, options) => this.bed.spawn(this.bed.wan.namespace, command, args, options);
    return startDhtNode(spawnInWan, this.bed.wan.dht, DHT_PORT + this.#dhtNodes);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#daemons].map((daemon) => this.stopDaemon(daemon)));
    await this.bus.stop();
    rmSync(this.#dataRoot, { recursive: true, force: true });
  }
}

export interface LinkPair {
  /** Has the account: exports it (addDevice). */
  readonly oldDevice: BedDaemon;
  /** Imports it (addAccount with archiveURL jami-auth). */
  readonly newDevice: BedDaemon;
}

export interface LinkOptions {
  /** An account holding this many MB of data (see big-archive.ts); default a fresh small account. */
  readonly archiveMegabytes?: number;
  /** The account's archive password, which the new device's user then types. */
  readonly password?: string;
  /** From addDevice to both DONEs (default 120 s): past it runLink rejects, saying what each side showed. */
  readonly timeoutMs?: number;
  /**
   * Export attempts with the same token (default 1). An old device that could not reach the new one through the
   * DHT ends `network`/`signaling` while the new device, which never heard of it, keeps waiting with its token
   * (as Jami's does): its user tries again, as a user would.
   */
  readonly exportAttempts?: number;
}

export interface LinkRun {
  readonly importDone: Details;
  readonly exportDone: Details;
  /** Every state each side signalled, in order, with its details. */
  readonly importStates: readonly TimedState[];
  readonly exportStates: readonly TimedState[];
  /** From the addDevice call until the later of the two DONEs, ms. */
  readonly elapsedMs: number;
  /** The same, until each side's own DONE. */
  readonly importDoneMs: number;
  readonly exportDoneMs: number;
  /** The old device's state 3 details, if it got there. */
  readonly exportAuthenticating?: Details;
  /** The DONEs of export attempts that failed at signaling before the last one (see exportAttempts). */
  readonly abandonedExports: readonly Details[];
  readonly archiveBytes?: number;
}

const DONE = 5;
/** Inner waits outlast the caller's bound by this much: LinkSignalLog's own messages would print the token. */
const GRACE_MS = 1000;
const AUTHENTICATING = 3;

async function createOldAccount(client: TestClient, options: LinkOptions): Promise<{ accountId: string; archiveBytes?: number }> {
  if (options.archiveMegabytes !== undefined) {
    if (options.password !== undefined) throw new Error('a big account with a password is not supported here');
    return createBigAccount(client, options.archiveMegabytes);
  }
  const details: Record<string, string> = { 'Account.alias': 'Netbed' };
  if (options.password !== undefined) details['Account.archivePassword'] = rememberSecret(options.password);
  return { accountId: await client.createAccount(details) };
}

/** A side's states for a message: "1 2 3{...}", the token (its user's secret) shown as "…". */
function shownStates(list: readonly TimedState[]): string {
  const shown = (details: Details) => (details.token ? { ...details, token: '…' } : details);
  return list.map(({ state, details }) => `${state}${Object.keys(details).length ? JSON.stringify(shown(details)) : ''}`).join(' ');
}

/** The last lines OpenDHT logged in `daemon` (--dht-log), for a failure message: where its puts and gets were. */
function dhtLogTail(daemon: BedDaemon, lines = 40): string {
  const plain = stripVTControlCharacters(daemon.process.stdout).trimEnd().split('\n');
  return `its DHT log's last ${Math.min(lines, plain.length)} of ${plain.length} lines:\n${plain.slice(-lines).join('\n')}`;
}

/**
 * Resolves when `key` reaches state 3 (true) or ends first (false). Bounded a little past `ms`, so the
 * caller's own bound (which hides the token) speaks first; past it, nothing is left to do (false).
 */
function authenticatingOrDone(daemon: BedDaemon, key: string, ms: number): Promise<boolean> {
  const reached = (states: TimedState[]) => states.some(({ state }) => state === AUTHENTICATING || state === DONE);
  return daemon.log.waitUntil(key, reached, ms + GRACE_MS, key).then(
    () => !daemon.log.timed(key).some(({ state }) => state === DONE),
    () => false,
  );
}

/**
 * One whole link: an account on the old device, a token on the new one, addDevice; the old device's
 * user confirms in its state 3, the new device's user consents in its own. Resolves once both sides
 * are DONE, whatever the outcome: the test asserts the DONE values.
 */
export async function runLink(pair: LinkPair, options: LinkOptions = {}): Promise<LinkRun> {
  const { oldDevice, newDevice } = pair;
  const timeoutMs = options.timeoutMs ?? 120000;
  const { accountId: oldAccount, archiveBytes } = await createOldAccount(oldDevice.client, options);
  const newAccount = await newDevice.client.call<string>('addAccount', { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth' });
  const importing = importKey(newAccount);
  // Three CI runs had a new device's daemon log "import started" and then nothing, not even its SIGTERM's
  // "stopping" (its main thread blocked?), never seen outside the whole suite: a time-out here says what it was doing.
  const tokenShown = await withTimeout(newDevice.log.waitFor(importing, 1, 30000 + GRACE_MS), 30000, () => `a token; new device: ${shownStates(newDevice.log.timed(importing))}; ${dhtLogTail(newDevice)}`).catch(
    async (error: Error) => {
      throw new Error(`${error.message}\nthe new device's daemon: ${await describeStuckProcess(newDevice.process.pid)}`);
    },
  );
  const token = rememberSecret(tokenShown.details.token);

  const started = performance.now();
  const abandonedExports: Details[] = [];
  let opId = 0;
  let exporting = '';
  let confirmable = false;
  for (let attempt = 1; ; attempt++) {
    opId = await oldDevice.client.call<number>('addDevice', oldAccount, token);
    if (!(opId > 0)) throw new Error(`addDevice returned ${opId}`);
    exporting = exportKey(oldAccount, opId);
    confirmable = await authenticatingOrDone(oldDevice, exporting, timeoutMs);
    const done = oldDevice.log.timed(exporting).find(({ state }) => state === DONE)?.details;
    const newDeviceWaits = newDevice.log.timed(importing).every(({ state }) => state === 1);
    if (confirmable || attempt >= (options.exportAttempts ?? 1) || done?.network_stage !== 'signaling' || !newDeviceWaits) break;
    abandonedExports.push(done);
  }

  const oldUser = (async () => {
    if (confirmable) await oldDevice.client.call('confirmAddDevice', oldAccount, opId);
  })();
  const newUser = (async () => {
    if (!(await authenticatingOrDone(newDevice, importing, timeoutMs))) return;
    const password = options.password ?? '';
    await newDevice.client.call('provideAccountAuthentication', newAccount, password, password ? 'password' : '');
  })();
  const describe = () =>
    `the link to end; new device: ${shownStates(newDevice.log.timed(importing))}; old device: ${shownStates(oldDevice.log.timed(exporting))}`;
  const [importDone, exportDone] = await withTimeout(
    Promise.all([newDevice.log.waitFor(importing, DONE, timeoutMs + GRACE_MS), oldDevice.log.waitFor(exporting, DONE, timeoutMs + GRACE_MS), oldUser, newUser]),
    timeoutMs,
    describe,
  );
  const importStates = newDevice.log.timed(importing);
  const exportStates = oldDevice.log.timed(exporting);
  return {
    importDone: importDone.details,
    exportDone: exportDone.details,
    importStates,
    exportStates,
    elapsedMs: Math.max(importDone.at, exportDone.at) - started,
    importDoneMs: importDone.at - started,
    exportDoneMs: exportDone.at - started,
    exportAuthenticating: exportStates.find(({ state }) => state === AUTHENTICATING)?.details,
    abandonedExports,
    archiveBytes,
  };
}

/** The bed's coturn as a STUN server, over `family` (default: IPv4 if the bed has it). */
export function stunServer(bed: NetBed, family?: 'ipv4' | 'ipv6'): string {
  const turn = bed.wan.turnServer;
  if (!turn) throw new Error('the bed runs no coturn');
  return `stun:${hostPort(pick(turn.address, family), turn.port)}`;
}

/** The bed's coturn as a TURN server over UDP and over TCP, with its credentials (or a wrong password). */
export function turnServers(bed: NetBed, options: { password?: string; family?: 'ipv4' | 'ipv6' } = {}): string[] {
  const turn = bed.wan.turnServer;
  if (!turn) throw new Error('the bed runs no coturn');
  const password = rememberSecret(options.password ?? turn.password);
  const where = `${encodeURIComponent(turn.user)}:${encodeURIComponent(password)}@${hostPort(pick(turn.address, options.family), turn.port)}`;
  // UDP only: libjuice relays over UDP, and the daemon refuses TCP/TLS TURN URLs.
  return [`turn:${where}`];
}

/** STUN and TURN at the wan's dead address, which swallows every packet. */
export function deadServers(bed: NetBed): string[] {
  const dead = hostPort(pick(bed.wan.dead), 3478);
  const password = rememberSecret('dead-server-password');
  return [`stun:${dead}`, `turn:nobody:${password}@${dead}`];
}

function pick(address: Addresses, family?: 'ipv4' | 'ipv6'): string {
  const chosen = family ? address[family] : address.ipv4 ?? address.ipv6;
  if (!chosen) throw new Error(`no ${family ?? 'address'} in ${JSON.stringify(address)}`);
  return chosen;
}

/** A short account of a run for assertion messages. */
export function describeRun(run: LinkRun): string {
  return `new device: ${shownStates(run.importStates)}; old device: ${shownStates(run.exportStates)}; ${Math.round(run.elapsedMs)} ms`;
}
