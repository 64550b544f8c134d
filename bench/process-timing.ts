// Whole-process figures for the side-by-side benchmark: spawn to exit, spawn to a bus name owned (watched on the
// bus itself, NameOwnerChanged, the same way for the daemon and for its anchor), and a process's resident memory.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import dbus from 'dbus-next';
import { withTimeout } from '../test/support/wait.js';

const TIMEOUT_MS = 60000;

/** ms from spawn to exit; rejects when the command fails (its output is read and dropped, as a pipe would). */
export function timeToExit(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<number> {
  const start = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let errors = '';
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    if (errors.length < 4000) errors += chunk.toString('utf8');
  });
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => {
        const elapsed = performance.now() - start;
        if (code === 0) resolve(elapsed);
        else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${errors.trim()}`));
      });
    }),
    TIMEOUT_MS,
    `${command} ${args.join(' ')} to exit`,
  );
}

/** The resident memory of a live process, in MB (VmRSS). */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/** A watcher of one bus: `owned(name, spawnIt)` spawns a process and resolves once `name` has an owner. */
export class NameWatch {
  private constructor(private readonly bus: dbus.MessageBus, private readonly iface: dbus.ClientInterface) {}

  static async connect(address: string): Promise<NameWatch> {
    const bus = dbus.sessionBus({ busAddress: address });
    const object = await bus.getProxyObject('org.freedesktop.DBus', '/org/freedesktop/DBus');
    const iface = object.getInterface('org.freedesktop.DBus');
    // The match rule is added on the first listener: add it before any process starts.
    const none = () => undefined;
    iface.on('NameOwnerChanged', none);
    await (iface as unknown as { GetId(): Promise<string> }).GetId(); // a round trip: the match rule is in place
    return new NameWatch(bus, iface);
  }

  /** ms from `spawnIt()` to NameOwnerChanged(name, '', owner); the process is returned for its RSS and stop. */
  async owned(name: string, spawnIt: () => ChildProcess): Promise<{ ms: number; child: ChildProcess }> {
    let listener: (owned: string, before: string, after: string) => void = () => undefined;
    const seen = new Promise<number>((resolve) => {
      listener = (owned, _before, after) => {
        if (owned === name && after !== '') resolve(performance.now());
      };
      this.iface.on('NameOwnerChanged', listener);
    });
    const start = performance.now();
    const child = spawnIt();
    const died = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the process exited (${code}) before owning ${name}`))));
    try {
      const at = await withTimeout(Promise.race([seen, died]), TIMEOUT_MS, `${name} to be owned`);
      return { ms: at - start, child };
    } finally {
      this.iface.off('NameOwnerChanged', listener);
    }
  }

  close(): void {
    this.bus.disconnect();
  }
}

/** SIGTERM, then the exit. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
