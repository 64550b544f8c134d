// magic-wormhole on loopback, for the side-by-side benchmark: Debian's packages (installed here when missing;
// the test suite never needs them), a mailbox server and a transit relay of our own, and `wormhole send` /
// `wormhole receive` of one file timed as two users would run them.
//
// Everything wormhole runs in a network namespace of ours that has only its loopback interface: the mailbox and
// the relay listen on 127.0.0.1 there, never the public servers, and wormhole's direct hints are then 127.0.0.1
// only (with another interface up it would advertise that interface's address, and connect to it). Each process
// enters the namespace through `ip netns exec`, which sets the namespace and execs the command (no extra process;
// its cost is measured and printed as `enterMs`).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withTimeout } from '../test/support/wait.js';

/** The Debian packages, and a file each installs that the rig needs. */
const PACKAGES: ReadonlyArray<[name: string, installs: string]> = [
  ['magic-wormhole', '/usr/bin/wormhole'],
  ['python3-magic-wormhole-mailbox-server', '/usr/lib/python3/dist-packages/wormhole_mailbox_server'],
  ['magic-wormhole-transit-relay', '/usr/lib/python3/dist-packages/wormhole_transit_relay'],
];
/** Debian's Python, which has Twisted and the two servers (a python3 earlier on PATH may have neither). */
const PYTHON = '/usr/bin/python3';
const MAILBOX_PORT = 4000;
const RELAY_PORT = 4001;
const CODE_LINE = /Wormhole code is: (\S+)/;
const STEP_TIMEOUT_MS = 120000;

/** apt-get update + install of the packages that are missing (we are root on these machines). */
export function ensureWormholePackages(): void {
  const missing = PACKAGES.filter(([, installs]) => !existsSync(installs)).map(([name]) => name);
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed (${result.status ?? result.error?.message}): the wormhole comparison needs ${missing.join(', ')}`);
  }
}

export interface WormholeRig {
  /** One `wormhole send` then, once it printed the code, `wormhole receive`: ms from the sender's start to
   *  both exits. The received file is checked for its size and removed. */
  transfer(file: string, bytes: number): Promise<number>;
  /** What entering the namespace costs a process (`ip netns exec NS true`), median over a few runs. */
  readonly enterMs: number;
  stop(): Promise<void>;
}

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr?.trim() || result.error?.message} (the wormhole comparison needs root for a network namespace)`);
}

/** Resolves once `child`'s output matched `pattern`; rejects with its output if it exits first. */
function outputMatches(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let output = '';
  return withTimeout(
    new Promise<RegExpExecArray>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const found = pattern.exec(output);
        if (found) resolve(found);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', (error) => reject(new Error(`${what}: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before printing ${pattern}:\n${output.slice(-2000)}`)));
    }),
    STEP_TIMEOUT_MS,
    () => `${what} to print ${pattern}; it printed:\n${output.slice(-2000)}`,
  );
}

function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? -1);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
}

function stop(child: ChildProcess): Promise<unknown> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  return withTimeout(exited(child), 5000, 'a wormhole process to stop').catch(() => child.kill('SIGKILL'));
}

export async function startWormholeRig(): Promise<WormholeRig> {
  ensureWormholePackages();
  const namespace = `jlbench-wh-${process.pid}`;
  ip('netns', 'add', namespace);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jami-link-bench-wormhole-'));
  const children = new Set<ChildProcess>();
  const run = (command: string, args: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const teardown = async () => {
    await Promise.all([...children].map(stop));
    spawnSync('ip', ['netns', 'del', namespace]);
    rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => {
    for (const child of children) child.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', namespace]);
  };
  process.once('exit', onExit);
  try {
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
    const mailbox = run(PYTHON, ['-m', 'twisted', '--log-format=text', 'wormhole-mailbox', `--port=tcp:${MAILBOX_PORT}:interface=127.0.0.1`, `--channel-db=${path.join(dir, 'mailbox.sqlite')}`]);
    const relay = run(PYTHON, ['-m', 'twisted', '--log-format=text', 'transitrelay', `--port=tcp:${RELAY_PORT}:interface=127.0.0.1`]);
    await Promise.all([
      outputMatches(mailbox, /PrivacyEnhancedSite starting on/, 'the wormhole mailbox server'),
      outputMatches(relay, /Transit starting on/, 'the wormhole transit relay'),
    ]);
    const servers = ['--relay-url', `ws://127.0.0.1:${MAILBOX_PORT}/v1`, '--transit-helper', `tcp:127.0.0.1:${RELAY_PORT}`];

    const enterTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await exited(run('true', []));
      enterTimes.push(performance.now() - start);
    }
    enterTimes.sort((a, b) => a - b);

    return {
      enterMs: enterTimes[2],
      async transfer(file, bytes) {
        const received = path.join(dir, `received-${path.basename(file)}`);
        rmSync(received, { force: true });
        const start = performance.now();
        const sender = run('wormhole', [...servers, 'send', '--hide-progress', file]);
        const senderExit = exited(sender);
        const [, code] = await outputMatches(sender, CODE_LINE, 'wormhole send');
        const receiver = run('wormhole', [...servers, 'receive', '--accept-file', '--hide-progress', '-o', received, code]);
        const [sent, got] = await withTimeout(Promise.all([senderExit, exited(receiver)]), STEP_TIMEOUT_MS, 'wormhole send and receive to exit');
        const elapsed = performance.now() - start;
        if (sent !== 0 || got !== 0) throw new Error(`wormhole send exited ${sent}, receive ${got}`);
        const size = existsSync(received) ? statSync(received).size : -1;
        rmSync(received, { force: true });
        if (size !== bytes) throw new Error(`wormhole received ${size} bytes, not ${bytes}`);
        return elapsed;
      },
      async stop() {
        process.off('exit', onExit);
        await teardown();
      },
    };
  } catch (error) {
    process.off('exit', onExit);
    await teardown();
    throw error;
  }
}
