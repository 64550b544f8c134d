// A process the bed started inside one of its namespaces: its output goes to files in the bed's
// temp dir and stays readable in memory, so a test awaits a line instead of sleeping.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { withTimeout } from '../wait.js';

export interface SpawnOptions {
  /** Names the output files (default: the command's base name). */
  readonly label?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Keep stdin open as a pipe (default: ignored). */
  readonly stdin?: boolean;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class BedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  #stdout = '';
  #stderr = '';
  readonly #exit: Promise<ExitStatus>;
  readonly #outputListeners = new Set<() => void>();

  constructor(
    readonly namespace: string,
    readonly command: string,
    readonly args: readonly string[],
    logDir: string,
    sequence: number,
    options: SpawnOptions = {},
  ) {
    const label = options.label ?? path.basename(command);
    this.stdoutPath = path.join(logDir, `${String(sequence).padStart(3, '0')}-${label}.stdout`);
    this.stderrPath = path.join(logDir, `${String(sequence).padStart(3, '0')}-${label}.stderr`);
    this.child = spawn('ip', ['netns', 'exec', namespace, command, ...args], {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    if (this.child.pid === undefined) {
      // spawn reports ENOENT asynchronously; `ip` itself is checked before any bed is built.
      throw new Error(`cannot start ip netns exec ${namespace} ${command}`);
    }
    this.pid = this.child.pid;
    const stdoutFile = createWriteStream(this.stdoutPath);
    const stderrFile = createWriteStream(this.stderrPath);
    this.child.stdout!.on('data', (chunk: Buffer) => {
      stdoutFile.write(chunk);
      this.#stdout += chunk.toString('utf8');
      this.#notify();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      stderrFile.write(chunk);
      this.#stderr += chunk.toString('utf8');
      this.#notify();
    });
    this.#exit = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        stdoutFile.end();
        stderrFile.end();
        resolve({ code, signal });
        this.#notify();
      });
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in stdout or stderr; rejects on time-out or exit. */
  waitForOutput(pattern: RegExp, ms: number, what = String(pattern)): Promise<RegExpMatchArray> {
    return this.waitUntil(() => pattern.exec(this.#stdout) ?? pattern.exec(this.#stderr) ?? undefined, ms, `to print ${what}`);
  }

  /**
   * Resolves with the first defined result of `check`, which runs now and after every chunk of
   * output; rejects when the process exits first or after `ms`.
   */
  waitUntil<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (error: Error | undefined, result?: T) => {
        clearTimeout(timer);
        this.#outputListeners.delete(listener);
        if (error) reject(error);
        else resolve(result as T);
      };
      const listener = () => {
        let result: T | undefined;
        try {
          result = check();
        } catch (error) {
          finish(error as Error);
          return;
        }
        if (result !== undefined) finish(undefined, result);
        else if (!this.running) finish(new Error(`${this.command} exited while waiting ${what}: ${this.#tail()}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${ms} ms waiting for ${this.command} in ${this.namespace} ${what}: ${this.#tail()}`)),
        ms,
      );
      this.#outputListeners.add(listener);
      listener();
    });
  }

  exited(ms: number): Promise<ExitStatus> {
    return withTimeout(this.#exit, ms, `${this.command} in ${this.namespace} to exit`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    try {
      await this.exited(graceMs);
    } catch {
      this.child.kill('SIGKILL');
      await this.exited(graceMs);
    }
  }

  #notify(): void {
    for (const listener of [...this.#outputListeners]) listener();
  }

  #tail(): string {
    return (this.#stdout + this.#stderr).slice(-400).replace(/\s+/g, ' ').trim();
  }
}
