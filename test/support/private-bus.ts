// A private dbus-daemon per test run (or per test): the real bus, never the user's.

import { startPrivateBus } from '../../service/dbus/bus-connection.js';
import type { ChildProcess } from 'node:child_process';
import { stopOrKill } from './stuck-process.js';

export interface PrivateBus {
  readonly address: string;
  stop(): Promise<void>;
}

export async function startTestBus(): Promise<PrivateBus> {
  const { address, daemon } = await startPrivateBus();
  return {
    address,
    stop: () => stopChild(daemon),
  };
}

/** Stops third-party software (dbus-daemon, dhtnode): `signal`, and SIGKILL if it is still there 5 s later. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return stopOrKill(child, { name: child.spawnfile, signal, graceMs: 5000, whenStuck: 'kill' });
}
