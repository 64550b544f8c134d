// Connects to the bus the user asked for: the session bus, the system bus, or an address.
// When there is no session bus at all, starts a private dbus-daemon whose address we print.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dbus from 'dbus-next';

export interface BusConnection {
  readonly bus: dbus.MessageBus;
  readonly address: string;
  readonly kind: 'session' | 'system' | 'address' | 'private';
  /** The private dbus-daemon we started, if any. */
  readonly privateDaemon?: ChildProcess;
  close(): Promise<void>;
}

/** The session bus address from the environment or the systemd default socket, if one exists. */
export function findSessionBusAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return env.DBUS_SESSION_BUS_ADDRESS;
  const runtime = env.XDG_RUNTIME_DIR ?? (typeof process.getuid === 'function' ? `/run/user/${process.getuid()}` : undefined);
  if (runtime && existsSync(`${runtime}/bus`)) return `unix:path=${runtime}/bus`;
  return undefined;
}

/**
 * A session-type bus without <standard_session_servicedirs/>: nothing is ever activated on it. With Debian's
 * jami-daemon installed, `dbus-daemon --session` would start the real jamid for cx.ring.Ring on first use.
 */
const PRIVATE_BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
</busconfig>
`;

/** Starts a private session-type dbus-daemon (no activation) on a fresh socket and resolves with its address. */
export async function startPrivateBus(env: NodeJS.ProcessEnv = process.env): Promise<{ address: string; daemon: ChildProcess }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'jami-linkd-bus-'));
  const config = path.join(dir, 'bus.conf');
  await writeFile(config, PRIVATE_BUS_CONFIG, { mode: 0o600 });
  // dbus-daemon reads its configuration once, at start: the file can go as soon as it answered.
  return spawnBus(config, env).finally(() => rm(dir, { recursive: true, force: true }));
}

function spawnBus(config: string, env: NodeJS.ProcessEnv): Promise<{ address: string; daemon: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--nopidfile', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    // A child outlives us unless told: whatever way this process exits (a second signal, a stop deadline, an exit
    // in the middle of the start), the bus it started ends with it. kill() is synchronous, as 'exit' needs.
    const endWithUs = () => daemon.kill('SIGTERM');
    process.on('exit', endWithUs);
    daemon.once('exit', () => process.off('exit', endWithUs));
    // dbus-daemon's stderr is only shown if it fails to start (it warns about fd limits when not root).
    let errors = '';
    daemon.stderr!.on('data', (chunk: Buffer) => {
      if (errors.length < 4096) errors += chunk.toString('utf8');
    });
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      daemon.stdout!.off('data', onData);
      daemon.stdout!.resume();
      resolve({ address: buffered.slice(0, newline).trim(), daemon });
    };
    daemon.stdout!.on('data', onData);
    daemon.once('error', (error) => reject(new Error(`cannot start dbus-daemon: ${error.message} (is the dbus package installed?)`)));
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited with code ${code} before printing its address: ${errors.trim()}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `which`: "session" (default), "system", or a D-Bus address such as unix:path=/run/bus. */
export async function connectBus(which: string, env: NodeJS.ProcessEnv = process.env): Promise<BusConnection> {
  let privateDaemon: ChildProcess | undefined;
  let address: string;
  let kind: BusConnection['kind'];
  if (which === 'system') {
    address = env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';
    kind = 'system';
  } else if (which === 'session') {
    const found = findSessionBusAddress(env);
    if (found) {
      address = found;
      kind = 'session';
    } else {
      const started = await startPrivateBus();
      address = started.address;
      privateDaemon = started.daemon;
      kind = 'private';
    }
  } else {
    address = which;
    kind = 'address';
  }
  const bus = kind === 'system' ? dbus.systemBus() : dbus.sessionBus({ busAddress: address });
  let closing = false;
  try {
    await waitConnected(bus, () => closing);
  } catch (error) {
    if (privateDaemon) await stopProcess(privateDaemon);
    throw new Error(`cannot connect to the ${kind === 'address' ? `bus at ${address}` : `${kind} bus`}: ${(error as Error).message}`);
  }
  return {
    bus,
    address,
    kind,
    privateDaemon,
    async close() {
      closing = true;
      bus.disconnect();
      if (privateDaemon) await stopProcess(privateDaemon);
    },
  };
}

const CONNECT_TIMEOUT_MS = 10000;

function waitConnected(bus: dbus.MessageBus, closedByUs: () => boolean): Promise<void> {
  // dbus-next forwards stream errors but not the end of the stream: a bus that goes away cleanly
  // (session ended, private bus killed) must reach the daemon as an error too.
  const connection = (bus as unknown as { _connection?: { on(event: 'end', listener: () => void): void } })._connection;
  connection?.on('end', () => {
    if (!closedByUs()) bus.emit('error', new Error('the bus closed the connection'));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    bus.once('error', onError);
    bus.once('connect', () => {
      clearTimeout(timer);
      bus.off('error', onError);
      resolve();
    });
  });
}
