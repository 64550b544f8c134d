// The daemon's settings with their defaults; the CLI (bin/jami-linkd.ts) fills them from flags and
// environment variables.

import os from 'node:os';
import { DEFAULT_LINK_TIMEOUT_MS } from './linking/link-state.js';
import path from 'node:path';

export interface DaemonConfig {
  /** "session", "system" or a D-Bus address. */
  bus: string;
  busName: string;
  dataDir: string;
  /** host:port list; empty for none. */
  bootstrap: string[];
  dhtPort: number;
  /** IPv4 or IPv6 address the DHT node binds that family to; the other family binds all (default: all). */
  dhtBind?: string;
  peerDiscovery: boolean;
  /** OpenDHT's own log on standard output (debugging a DHT that does not answer; plain text, not pino). */
  dhtLog: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logPretty: boolean;
  /** Whole-operation time-out of a link, ms (Jami: 5 minutes; on the new device, from the channel's opening). */
  linkTimeoutMs: number;
  /** How long a shown token waits for an exporter, ms; 0: until canceled (Jami's behaviour). */
  tokenLifetimeMs: number;
  /** How long a link waiting for its user survives the departure of the client that started it, ms. */
  abandonTimeoutMs: number;
  /** STUN/TURN URLs for WebRTC (default: Jami's, DEFAULT_ICE_SERVERS); empty for host candidates only. */
  iceServers: string[];
  /** Silence on the data channel that ends a link as lost, ms (heartbeats every quarter of it). */
  peerTimeoutMs: number;
  /** Export side: how long to wait for the new device's answer through the DHT, ms. */
  signalingTimeoutMs: number;
  /** Local address WebRTC gathers candidates on (default: every interface). */
  iceBind?: string;
  /** RSA key size of new keys (Jami uses 4096). */
  keyBits: number;
  /** Accounts that may wait for another device at once (each holds a device key being made). */
  maxPendingImports: number;
}

export const DEFAULT_BUS_NAME = 'cx.ring.Ring';
export const OBJECT_PATH = '/cx/ring/Ring/ConfigurationManager';
export const INTERFACE_NAME = 'cx.ring.Ring.ConfigurationManager';
export const INSTANCE_PATH = '/cx/ring/Ring/Instance';
export const INSTANCE_INTERFACE = 'cx.ring.Ring.Instance';
export const DEFAULT_BOOTSTRAP = 'bootstrap.jami.net:4222';
/**
 * Jami's own defaults (its account template: TURN server turn.jami.net, user, password and realm "ring").
 * A TURN server answers STUN too, so one host gives both the public address of each device (behind an
 * ordinary NAT) and a relay (behind symmetric NATs, where nothing else works). Not TURN over TCP: the
 * WebRTC stack (libjuice) relays over UDP only. The server learns each device's public address and,
 * through the relay, carries the DTLS-encrypted link (it cannot read it).
 */
export const DEFAULT_ICE_SERVERS: readonly string[] = ['stun:turn.jami.net:3478', 'turn:ring:ring@turn.jami.net:3478'];

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'jami-linkd');
}

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  return {
    bus: 'session',
    busName: DEFAULT_BUS_NAME,
    dataDir: defaultDataDir(env),
    bootstrap: [DEFAULT_BOOTSTRAP],
    dhtPort: 0,
    peerDiscovery: true,
    dhtLog: false,
    logLevel: 'info',
    logPretty: false,
    linkTimeoutMs: DEFAULT_LINK_TIMEOUT_MS,
    tokenLifetimeMs: 0,
    abandonTimeoutMs: 30 * 1000,
    // At 20% loss SCTP can keep a receiver from any complete message for 19-35 s (bench/lossy-path.ts).
    peerTimeoutMs: 40 * 1000,
    signalingTimeoutMs: 30 * 1000,
    iceServers: [...DEFAULT_ICE_SERVERS],
    keyBits: 4096,
    maxPendingImports: 16,
  };
}
