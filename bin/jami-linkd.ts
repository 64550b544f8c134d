#!/usr/bin/env node
// jami-linkd: the daemon's command line. Parses flags and environment variables, then runs the daemon
// until SIGTERM/SIGINT. Started by jami-linkd.cts, which sizes libuv's thread pool first.

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultConfig, DEFAULT_BOOTSTRAP, DEFAULT_ICE_SERVERS, type DaemonConfig } from '../service/config.js';
import { leanDbus } from '../service/dbus/lean-dbus.js';
import { createLogger } from '../service/log.js';
import { tracingWanted } from '../service/link-trace.js';
import { DataDirError } from '../service/accounts/account-store.js';
import { bindOptionFor, parseHostPort } from '../service/dht/dht-node.js';
import { parseIceServers } from '../service/transport/webrtc/ice-servers.js';
import { packageFile } from '../service/contract/package-files.js';

const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
const STOP_DEADLINE_MS = 5000;

const defaults = defaultConfig();
const seconds = (ms: number): number => ms / 1000;

/** "1"/"true"/"yes" or "0"/"false"/"no", for boolean environment variables. */
function envFlag(name: string): boolean | undefined {
  const value = process.env[name]?.toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  process.stderr.write(`jami-linkd: ${name} must be 1 or 0, not "${process.env[name]}"\n`);
  process.exit(2);
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').filter(Boolean)];

function integer(min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

function ipAddress(value: string): string {
  try {
    bindOptionFor(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function bootstrapList(values: string[] | undefined): string[] {
  if (!values || values.length === 0) return [DEFAULT_BOOTSTRAP];
  if (values.includes('none')) return [];
  for (const value of values) {
    try {
      parseHostPort(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  }
  return values;
}

/** Jami's servers unless told; "none" alone for none; every URL checked now, so a typo stops the start. */
function iceServerList(values: string[] | undefined): string[] {
  if (!values || values.length === 0) return [...DEFAULT_ICE_SERVERS];
  if (values.includes('none')) {
    if (values.length > 1) throw new InvalidArgumentError('"none" cannot be combined with ICE server URLs');
    return [];
  }
  try {
    parseIceServers(values);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return values;
}

const program = new Command('jami-linkd')
  .description("Jami's \"link a new device\" as a D-Bus service (cx.ring.Ring.ConfigurationManager).")
  .version(pkg.version, '-V, --version')
  .addOption(new Option('--bus <bus>', 'session, system, or a D-Bus address').default(defaults.bus).env('JAMI_LINKD_BUS'))
  .addOption(new Option('--bus-name <name>', 'bus name to own').default(defaults.busName).env('JAMI_LINKD_BUS_NAME'))
  .addOption(new Option('--data-dir <dir>', 'where accounts are stored (default: $XDG_DATA_HOME/jami-linkd)').env('JAMI_LINKD_DATA_DIR'))
  .addOption(
    new Option('--bootstrap <host:port>', `DHT bootstrap node, repeatable or comma-separated; "none" for none (default: ${DEFAULT_BOOTSTRAP})`)
      .argParser(collect)
      .env('JAMI_LINKD_BOOTSTRAP'),
  )
  .addOption(new Option('--dht-port <port>', 'UDP port of the DHT node (0: any)').argParser(integer(0, 65535)).default(defaults.dhtPort).env('JAMI_LINKD_DHT_PORT'))
  .addOption(new Option('--dht-bind <address>', 'IPv4 or IPv6 address the DHT node binds to; the other family binds all (default: all)').argParser(ipAddress).env('JAMI_LINKD_DHT_BIND'))
  .addOption(new Option('--no-peer-discovery', 'disable OpenDHT LAN peer discovery (multicast; JAMI_LINKD_PEER_DISCOVERY=0)'))
  .addOption(new Option('--dht-log', "OpenDHT's own log on standard output, for a DHT that does not answer (JAMI_LINKD_DHT_LOG=1)"))
  .addOption(new Option('--link-timeout <seconds>', 'time-out of a link once its devices are connected').argParser(integer(1, 86400)).default(seconds(defaults.linkTimeoutMs)).env('JAMI_LINKD_LINK_TIMEOUT'))
  .addOption(new Option('--token-lifetime <seconds>', 'how long a shown token waits for the old device (0: until canceled, as Jami)').argParser(integer(0, 86400)).default(seconds(defaults.tokenLifetimeMs)).env('JAMI_LINKD_TOKEN_LIFETIME'))
  .addOption(new Option('--peer-timeout <seconds>', 'silence from the peer that ends a link as lost (network)').argParser(integer(1, 3600)).default(seconds(defaults.peerTimeoutMs)).env('JAMI_LINKD_PEER_TIMEOUT'))
  .addOption(new Option('--signaling-timeout <seconds>', 'how long the old device waits for the new one to answer through the DHT').argParser(integer(1, 3600)).default(seconds(defaults.signalingTimeoutMs)).env('JAMI_LINKD_SIGNALING_TIMEOUT'))
  .addOption(new Option('--abandon-timeout <seconds>', 'cancel a link waiting for its user this long after the client that started it left the bus').argParser(integer(1, 86400)).default(seconds(defaults.abandonTimeoutMs)).env('JAMI_LINKD_ABANDON_TIMEOUT'))
  .addOption(new Option('--ice-server <url>', 'STUN/TURN server for WebRTC, repeatable or comma-separated (stun:host:port, turn:user:pass@host:port; TURN over UDP); "none" for none (default: Jami\'s, turn.jami.net)').argParser(collect).env('JAMI_LINKD_ICE_SERVERS'))
  .addOption(new Option('--ice-bind <address>', 'local address WebRTC uses for its candidates (default: every interface)').env('JAMI_LINKD_ICE_BIND'))
  .addOption(new Option('--key-bits <bits>', 'RSA size of new keys').argParser(integer(2048, 8192)).default(defaults.keyBits).env('JAMI_LINKD_KEY_BITS'))
  .addOption(new Option('--max-pending-imports <n>', 'accounts that may wait for another device at once; addAccount refuses more').argParser(integer(1, 1024)).default(defaults.maxPendingImports).env('JAMI_LINKD_MAX_PENDING_IMPORTS'))
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(defaults.logLevel).env('JAMI_LINKD_LOG_LEVEL'))
  .addOption(new Option('--log-pretty', 'human-readable logs instead of JSON (JAMI_LINKD_LOG_PRETTY=1)'))
  .addHelpText(
    'after',
    `
Environment: every option has a JAMI_LINKD_* variable (shown above); booleans take 1 or 0.
Logs go to standard error. When there is no session bus, a private dbus-daemon is started and its
address is printed on standard output as DBUS_SESSION_BUS_ADDRESS=...

Examples:
  jami-linkd                                   # session bus, default bootstrap
  jami-linkd --bootstrap none --log-pretty     # offline, readable logs
  jami-linkd --bus-name cx.ring.Ring.linkd     # beside a running Jami`,
  );

program.parse();
const opts = program.opts();

/** A list option checked after parsing (commander's parsers see one value at a time): a clear error, exit 2. */
function checked<T>(option: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    return program.error(`error: option '${option}': ${(error as Error).message}`, { exitCode: 2 });
  }
}

const config: DaemonConfig = {
  ...defaults,
  bus: opts.bus,
  busName: opts.busName,
  bootstrap: checked('--bootstrap', () => bootstrapList(opts.bootstrap)),
  dhtPort: opts.dhtPort,
  dhtBind: opts.dhtBind,
  peerDiscovery: opts.peerDiscovery === false ? false : envFlag('JAMI_LINKD_PEER_DISCOVERY') ?? defaults.peerDiscovery,
  dhtLog: opts.dhtLog === true || (envFlag('JAMI_LINKD_DHT_LOG') ?? defaults.dhtLog),
  linkTimeoutMs: opts.linkTimeout * 1000,
  tokenLifetimeMs: opts.tokenLifetime * 1000,
  abandonTimeoutMs: opts.abandonTimeout * 1000,
  peerTimeoutMs: opts.peerTimeout * 1000,
  signalingTimeoutMs: opts.signalingTimeout * 1000,
  iceServers: checked('--ice-server', () => iceServerList(opts.iceServer)),
  iceBind: opts.iceBind,
  keyBits: opts.keyBits,
  maxPendingImports: opts.maxPendingImports,
  logLevel: opts.logLevel,
  logPretty: opts.logPretty === true || (envFlag('JAMI_LINKD_LOG_PRETTY') ?? defaults.logPretty),
};
if (opts.dataDir) config.dataDir = opts.dataDir;

const logger = createLogger({ level: config.logLevel, pretty: config.logPretty, destination: 2, preciseTime: tracingWanted() });

async function main(): Promise<void> {
  // Listened for before the start: a signal's default action would end the process there and then, past every
  // cleanup (a private dbus-daemon we started would run on). One that comes during the start stops the daemon once
  // it is up.
  // The listeners stay (one removed and one added would drop a signal that came in between); what they call changes.
  let signaledDuringStart: string | undefined;
  let startDeadline: NodeJS.Timeout | undefined;
  let onSignal = (signal: string) => {
    if (signaledDuringStart !== undefined) process.exit(1); // a second one: the user insists
    signaledDuringStart = signal;
    // A start stuck (on a bus that never answers, say) still ends, as a stop would.
    startDeadline = setTimeout(() => process.exit(1), STOP_DEADLINE_MS);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // dbus-next without xml2js first (lean-dbus.ts): the daemon's modules, loaded after it, find it loaded.
  leanDbus();
  const { startDaemon, NameTakenError } = await import('../service/daemon.js');
  let daemon;
  try {
    daemon = await startDaemon(config, logger);
  } catch (error) {
    const expected = error instanceof NameTakenError || error instanceof DataDirError || /cannot (connect|start)/.test((error as Error).message);
    process.stderr.write(`jami-linkd: ${(error as Error).message}\n`);
    if (!expected) logger.error({ err: error }, 'start failed');
    process.exit(expected ? 2 : 1);
  }
  if (daemon.connection.kind === 'private') {
    process.stdout.write(`DBUS_SESSION_BUS_ADDRESS=${daemon.connection.address}\n`);
    process.stderr.write(`jami-linkd: no session bus found; started one. Use it with:\n  export DBUS_SESSION_BUS_ADDRESS='${daemon.connection.address}'\n`);
  }
  const running = daemon;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Not unref'd: a stop stuck on a dead bus must still end the process, with a failure code.
    setTimeout(() => {
      logger.error('could not stop within 5 s; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    // Losing the bus is a failure (systemd restarts us); a signal is an asked-for stop.
    void running.stop().then(() => process.exit(signal === 'bus-lost' ? 1 : 0), () => process.exit(1));
  };
  onSignal = stop;
  running.connection.bus.on('error', (error: Error) => {
    if (stopping) return;
    logger.error({ reason: error.message }, 'lost the bus connection');
    stop('bus-lost');
  });
  clearTimeout(startDeadline);
  if (signaledDuringStart !== undefined) stop(signaledDuringStart);
}

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
void main();
