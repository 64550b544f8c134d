// The servers of the bed's wan: Debian's dhtnode as the DHT bootstrap and Debian's coturn as the
// STUN/TURN server, each started inside the wan namespace and awaited until it serves.

import path from 'node:path';
import type { BedProcess, SpawnOptions } from './bed-process.js';
import { hostPort, type Addresses } from './plan.js';

export type SpawnInWan = (command: string, args: readonly string[], options?: SpawnOptions) => BedProcess;

export interface DhtService {
  readonly address: Addresses;
  readonly port: number;
  /** "198.18.0.2:4222" (or the IPv6 form in an IPv6-only bed), for --bootstrap. */
  readonly bootstrap: string;
  readonly process: BedProcess;
}

export interface TurnService {
  readonly address: Addresses;
  /** UDP and TCP: coturn listens on both on one port. */
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly realm: string;
  readonly process: BedProcess;
}

export const DHT_PORT = 4222;
export const TURN_PORT = 3478;
export const TURN_CREDENTIALS = { user: 'netbed', password: 'netbed-secret', realm: 'netbed.test' } as const;
const STARTUP_MS = 10000;

/** `port`: another than DHT_PORT for a second DHT beside the bed's own (a fresh one per link, say). */
export async function startDhtNode(spawnInWan: SpawnInWan, address: Addresses, port = DHT_PORT): Promise<DhtService> {
  // dhtnode binds every address of the namespace; only wan addresses exist there.
  const process = spawnInWan('dhtnode', ['-s', '-v', '-p', String(port)], { label: port === DHT_PORT ? 'dhtnode' : `dhtnode-${port}` });
  await process.waitForOutput(/state changed to Running|DHT node initialised/, STARTUP_MS, 'that the DHT node runs');
  const bootstrap = hostPort((address.ipv4 ?? address.ipv6)!, port);
  return { address, port, bootstrap, process };
}

export async function startCoturn(spawnInWan: SpawnInWan, address: Addresses, logDir: string): Promise<TurnService> {
  const listening = [address.ipv4, address.ipv6].filter((a): a is string => a !== undefined);
  const { user, password, realm } = TURN_CREDENTIALS;
  const args = [
    '-n', // no config file: nothing from /etc/turnserver.conf
    '-v', // prints the listeners it opened, which is how the bed knows it serves
    ...listening.flatMap((a) => [`--listening-ip=${a}`, `--relay-ip=${a}`]),
    `--listening-port=${TURN_PORT}`,
    '--lt-cred-mech',
    `--user=${user}:${password}`,
    `--realm=${realm}`,
    '--fingerprint',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    `--db=${path.join(logDir, 'turndb.sqlite')}`,
    `--pidfile=${path.join(logDir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
    // coturn relays only to peers it allows; the bed's devices and wan live in these ranges.
    '--allowed-peer-ip=198.18.0.0-198.19.255.255',
    '--allowed-peer-ip=2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
  ];
  const process = spawnInWan('turnserver', args, { label: 'turnserver' });
  for (const a of listening) {
    const escaped = a.replace(/[.]/g, '\\.');
    for (const transport of ['UDP', 'TCP']) {
      await process.waitForOutput(
        new RegExp(`${transport}.*listener opened on\\s*:\\s*\\[?${escaped}\\]?:${TURN_PORT}(?!\\d)`),
        STARTUP_MS,
        `a ${transport} listener on ${hostPort(a, TURN_PORT)}`,
      );
    }
  }
  return { address, port: TURN_PORT, user, password, realm, process };
}
