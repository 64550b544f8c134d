// Runs the real jami-linkd binary as a child process on a given bus, with its own data dir,
// and waits for its "ready" log line. Logs are kept so tests can search them (secrets).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './wait.js';
import { stopOrKill } from './stuck-process.js';
import { SECRETS_FILE } from './secrets.js';

export const DAEMON_BIN = fileURLToPath(new URL('../../app/jami-linkd.cjs', import.meta.url));

/** Every daemon's log lines end up here too, for the test that greps them for secrets. */
export const ALL_LOGS_FILE = process.env.JAMI_LINKD_TEST_LOGS ?? path.join(os.tmpdir(), `jami-linkd-test-logs-${process.pid}.jsonl`);

export interface DaemonOptions {
  busAddress?: string;
  busName?: string;
  dataDir?: string;
  bootstrap?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** 'default': the daemon's own (internet) servers, for tests that start no link; default none. */
  iceServers?: readonly string[] | 'default';
}

function iceServerArgs(options: DaemonOptions): string[] {
  if (options.iceServers === 'default' || options.extraArgs?.includes('--ice-server')) return [];
  return (options.iceServers ?? ['none']).flatMap((url) => ['--ice-server', url]);
}

export interface RunningDaemon {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly busName: string;
  readonly logs: string[];
  readonly stdout: string[];
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Resolves with the exit code; a daemon still running 15 s after `signal` is killed, and this rejects with what
   *  it was doing and its last log lines. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

/** Every directory tempDir made in this process, for removeTempFiles. */
const madeTempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  madeTempDirs.push(dir);
  return dir;
}

/**
 * What this process's tests or benchmarks left in the temporary directory (tens of MB a test run): every directory
 * tempDir made, the file of the secrets handed to daemons (secrets.ts) and the daemons' log file (one named by
 * JAMI_LINKD_TEST_LOGS is the caller's to keep). Called once at the end (test/support/root-hooks.ts, bench/run.ts);
 * JAMI_LINKD_KEEP_TEMP=1 keeps them all.
 */
export function removeTempFiles(): void {
  if (process.env.JAMI_LINKD_KEEP_TEMP === '1') return;
  for (const dir of madeTempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  rmSync(SECRETS_FILE, { force: true });
  if (process.env.JAMI_LINKD_TEST_LOGS === undefined) rmSync(ALL_LOGS_FILE, { force: true });
}

export function spawnDaemon(options: DaemonOptions): RunningDaemon {
  const dataDir = options.dataDir ?? path.join(tempDir('jami-linkd-data-'), 'data');
  const busName = options.busName ?? 'cx.ring.Ring';
  const args = [
    DAEMON_BIN,
    '--bus-name', busName,
    '--data-dir', dataDir,
    '--bootstrap', options.bootstrap ?? 'none',
    '--no-peer-discovery',
    '--dht-bind', '127.0.0.1',
    '--ice-bind', '127.0.0.1',
    '--key-bits', '2048',
    '--log-level', 'debug',
    // The default servers are on the internet: tests name their own (netbed) or none.
    ...iceServerArgs(options),
    ...(options.busAddress ? ['--bus', options.busAddress] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stdout: string[] = [];
  const split = (sink: string[], onLine?: (line: string) => void) => {
    let rest = '';
    return (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        sink.push(line);
        onLine?.(line);
      }
    };
  };
  child.stderr!.on('data', split(logs, (line) => appendFileSync(ALL_LOGS_FILE, `${line}\n`)));
  child.stdout!.on('data', split(stdout));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    dataDir,
    busName,
    logs,
    stdout,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await stopOrKill(child, { name: 'jami-linkd', signal, context: () => `its last log lines:\n${logs.slice(-40).join('\n')}` });
      return exited;
    },
  };
}

/** Waits for the daemon's "jami-linkd ready" log line; rejects with its output if it exits first. */
export function whenReady(daemon: RunningDaemon, ms = 20000): Promise<void> {
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => daemon.logs.some((line) => line.includes('"jami-linkd ready"'));
    if (check()) return resolve();
    const onData = () => {
      if (check()) {
        daemon.child.stderr!.off('data', onData);
        resolve();
      }
    };
    daemon.child.stderr!.on('data', onData);
    void daemon.exited.then((code) => reject(new Error(`jami-linkd exited (${code}) before ready:\n${daemon.logs.join('\n')}`)));
  });
  return withTimeout(ready, ms, 'jami-linkd to be ready');
}

export async function startDaemonProcess(options: DaemonOptions): Promise<RunningDaemon> {
  const daemon = spawnDaemon(options);
  try {
    await whenReady(daemon);
  } catch (error) {
    await daemon.stop('SIGKILL');
    throw error;
  }
  return daemon;
}
