// Test helper: runs the real jami-link binary (dist/app/jami-link.js, the bundle) as a child process, feeding its
// standard input and waiting for lines on its output, as a user at a terminal would.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../support/wait.js';

export const JAMI_LINK_BIN = fileURLToPath(new URL('../../app/jami-link.js', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type StreamName = 'stdout' | 'stderr';

/** The test's environment without the variables that would point jami-link elsewhere. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.JAMI_LINKD_BUS;
  delete env.JAMI_LINKD_BUS_NAME;
  return env;
}

export class JamiLinkProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  /** Both streams interleaved in arrival order, for transcripts. */
  readonly transcript: string[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly args: string[],
    busAddress: string,
  ) {
    this.child = spawn(process.execPath, [JAMI_LINK_BIN, '--bus', busAddress, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: childEnv(),
    });
    for (const name of ['stdout', 'stderr'] as const) {
      this.child[name]!.setEncoding('utf8');
      this.child[name]!.on('data', (chunk: string) => this.onData(name, chunk));
    }
    this.child.stdin!.on('error', () => undefined); // the process may exit before reading everything
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        for (const name of ['stdout', 'stderr'] as const) {
          if (this.partial[name]) this.push(name, this.partial[name]);
          this.partial[name] = '';
        }
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Resolves with the first line (complete, or a prompt without its newline) matching `pattern`. */
  waitFor(stream: StreamName | 'any', pattern: RegExp, ms = 60000): Promise<string> {
    const find = () => {
      const lines = stream === 'any' ? this.transcript : [...this[stream], this.partial[stream]];
      return lines.find((line) => pattern.test(line));
    };
    return withTimeout(
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = find();
          if (found !== undefined) {
            this.waiters.delete(check);
            resolve(found);
          } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
            this.waiters.delete(check);
            reject(new Error(`jami-link ${this.args.join(' ')} exited without printing ${pattern}:\n${this.transcript.join('\n')}`));
          }
        };
        this.waiters.add(check);
        void this.exited.then(check);
        check();
      }),
      ms,
      `jami-link ${this.args.join(' ')} to print ${pattern}; it printed:\n${this.transcript.join('\n')}`,
    );
  }

  /** Waits for the exit, failing with the whole output if it takes longer than `ms`. */
  async exit(ms = 60000): Promise<Exit> {
    return withTimeout(this.exited, ms, `jami-link ${this.args.join(' ')} to exit; it printed:\n${this.transcript.join('\n')}`);
  }

  /** Parsed JSON lines of stdout (--json). */
  json(): Array<Record<string, unknown>> {
    return this.stdout.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  private onData(name: StreamName, chunk: string): void {
    this.partial[name] += chunk;
    const lines = this.partial[name].split('\n');
    this.partial[name] = lines.pop() ?? '';
    for (const line of lines) this.push(name, line);
    for (const wake of [...this.waiters]) wake();
  }

  private push(name: StreamName, line: string): void {
    this[name].push(line);
    this.transcript.push(name === 'stderr' ? `${line}` : line);
  }
}

/** Runs jami-link to the end with `input` on standard input. */
export async function runJamiLink(args: string[], busAddress: string, input = ''): Promise<{ exit: Exit; run: JamiLinkProcess }> {
  const run = new JamiLinkProcess(args, busAddress);
  run.write(input);
  run.endInput();
  return { exit: await run.exit(), run };
}
