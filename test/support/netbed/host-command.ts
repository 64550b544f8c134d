// Runs one host tool (ip, nft, tc, sysctl) to completion with a time-out; a failure names the
// command and carries its stderr, so a broken bed says which step broke.

import { spawn } from 'node:child_process';

export interface CommandOptions {
  /** Written to the command's stdin (for `nft -f -`). */
  readonly input?: string;
  readonly timeoutMs?: number;
}

export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    reason: string,
  ) {
    super(`${command}: ${reason}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
}

export function runHostCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  const command = [file, ...args].join(' ');
  const timeoutMs = options.timeoutMs ?? 10000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new HostCommandError(command, stderr, `no answer after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new HostCommandError(command, stderr, error.message));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new HostCommandError(command, stderr, `exit ${code ?? signal}`));
    });
    if (child.stdin) {
      // A command that fails early closes its stdin; its exit status reports that, not EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Runs `ip -n NAMESPACE ...` (netlink inside the namespace; nothing touches the root namespace). */
export function ipIn(namespace: string, ...args: string[]): Promise<string> {
  return runHostCommand('ip', ['-n', namespace, ...args]);
}

/** Runs a tool inside a namespace through `ip netns exec`. */
export function execIn(namespace: string, file: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  return runHostCommand('ip', ['netns', 'exec', namespace, file, ...args], options);
}
