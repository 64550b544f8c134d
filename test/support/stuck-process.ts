// Stopping a child that may not stop: a signal, a grace period, then SIGKILL, and an error that says what the
// child was doing (its threads' states, and their native stacks when gdb is installed). A daemon whose event loop
// is stuck answers neither D-Bus nor its own 5 s stop deadline; without this, the test that stops it waits
// forever, and so does the whole run (mocha waits for its children).

import { execFile, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export const STOP_GRACE_MS = 15000;

export class StuckProcessError extends Error {}

export interface StopOptions {
  readonly name: string;
  readonly signal?: NodeJS.Signals;
  readonly graceMs?: number;
  /** 'fail' (our own daemon: a stop it ignores is a bug to report) or 'kill' (third-party software whose own
   *  shutdown may take its time: a Debian dhtnode once still waited for its DHT's shutdown callback 15 s after
   *  SIGTERM). */
  readonly whenStuck?: 'fail' | 'kill';
  readonly context?: () => string;
}

/** Sends `signal`; if `child` is still there after `graceMs`, kills it, and (whenStuck 'fail', the default) rejects
 *  with what it was doing. */
export async function stopOrKill(child: ChildProcess, options: StopOptions): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(options.signal ?? 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), options.graceMs ?? STOP_GRACE_MS);
  });
  const outcome = await Promise.race([exited, graceOver]);
  clearTimeout(timer);
  if (outcome !== 'stuck' || hasExited(child)) return;
  if (options.whenStuck === 'kill') {
    child.kill('SIGKILL');
    return exited;
  }
  const description = child.pid === undefined ? '' : await describeStuckProcess(child.pid);
  child.kill('SIGKILL');
  await exited;
  const context = options.context?.() ?? '';
  throw new StuckProcessError(
    `${options.name} (pid ${child.pid}) was still running ${options.graceMs ?? STOP_GRACE_MS} ms after ${options.signal ?? 'SIGTERM'}; killed it.\n` +
      `${description}${context === '' ? '' : `\n${context}`}`,
  );
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Each thread's name and scheduler state (R: running, so a loop; S: sleeping, so a wait), then gdb's backtraces. */
export async function describeStuckProcess(pid: number): Promise<string> {
  const lines: string[] = [];
  try {
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const [comm, stat, wchan] = await Promise.all(
        ['comm', 'stat', 'wchan'].map((file) => readFile(`/proc/${pid}/task/${tid}/${file}`, 'utf8').catch(() => '?')),
      );
      // stat: "tid (comm) S ...": the state follows the last ')' (a comm may hold one).
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      lines.push(`  thread ${tid} ${comm.trim()}: state ${state}, waiting in ${wchan.trim() || '-'}`);
    }
  } catch (error) {
    lines.push(`  (no /proc/${pid}/task: ${(error as Error).message})`);
  }
  return `threads:\n${lines.join('\n')}\n${await nativeStacks(pid)}`;
}

function nativeStacks(pid: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'gdb',
      ['-batch', '-nx', '-p', String(pid), '-ex', 'thread apply all bt 25'],
      { timeout: 30000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return resolve('(gdb is not installed: no native stacks)');
        const stacks = stdout.split('\n').filter((line) => /^(Thread|#)/.test(line)).join('\n');
        // ptrace refused, or gdb's own time-out: say so rather than print an empty section.
        resolve(stacks !== '' ? `native stacks (gdb):\n${stacks}` : `(gdb gave no stacks: ${error?.message ?? ''} ${stderr.trim().slice(0, 300)})`);
      },
    );
  });
}

/** Every live process (zombies left out) and its parent, read from /proc. */
function liveParents(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": the comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parents.set(Number(name), Number(ppid));
    } catch {
      // ended while we read
    }
  }
  return parents;
}

/** The pids of the live processes whose command line (arguments joined by spaces) passes `test`. */
export function livePidsWhose(test: (command: string) => boolean): number[] {
  return [...liveParents().keys()].filter((pid) => test(commandOf(pid)));
}

/** Every live process below `root`, read from /proc (a child's children too: ip netns exec, npx). */
export function descendantsOf(root: number): Array<{ pid: number; command: string }> {
  const parents = liveParents();
  const found: Array<{ pid: number; command: string }> = [];
  const below = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (below.has(ppid) && !below.has(pid)) {
        below.add(pid);
        grew = true;
        found.push({ pid, command: commandOf(pid) });
      }
    }
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
  } catch {
    return '?';
  }
}
