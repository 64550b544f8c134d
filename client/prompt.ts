// Reading answers from standard input: lines (a pipe or a terminal), yes/no questions, and
// passwords read without echo from a terminal. Every read can be aborted when the link moves on.

import type { Readable, Writable } from 'node:stream';

/** Standard input as the prompts see it: a stream, and on a terminal the raw-mode switch. */
export interface PromptInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface PromptOptions {
  /** Aborting resolves the pending read with undefined. */
  signal?: AbortSignal;
}

/** Raised when Ctrl-C is typed while a password is read in raw mode (no SIGINT is sent then). */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'PromptInterrupted';
  }
}

type LineWaiter = (line: string | undefined) => void;

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACES = new Set(['\u007f', '\b']);

export class Prompter {
  private buffered = '';
  private readonly lines: string[] = [];
  private readonly waiters: LineWaiter[] = [];
  private ended = false;
  private listening = false;
  /** While a password is read on a terminal, raw keystrokes go here instead of the line splitter. */
  private rawConsumer: ((chunk: string) => void) | undefined;

  constructor(
    private readonly input: PromptInput,
    private readonly output: Writable,
  ) {}

  get isTerminal(): boolean {
    return this.input.isTTY === true && typeof this.input.setRawMode === 'function';
  }

  /** Next line of input (without its line ending); undefined at end of input or when aborted. */
  async readLine(question: string, options: PromptOptions = {}): Promise<string | undefined> {
    return this.ask(question, false, options);
  }

  /** "y"/"yes" (any case) is yes; anything else, end of input or abort is no. */
  async confirm(question: string, options: PromptOptions = {}): Promise<boolean> {
    const answer = await this.readLine(question, options);
    return answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
  }

  /**
   * A password: without echo on a terminal, else the next line. Undefined at end of input or abort;
   * rejects with PromptInterrupted on Ctrl-C typed at the terminal.
   */
  readSecret(question: string, options: PromptOptions = {}): Promise<string | undefined> {
    if (!this.isTerminal) return this.ask(question, true, options);
    this.output.write(question);
    this.listen();
    return new Promise((resolve, reject) => {
      let secret = '';
      const finish = (value: string | undefined, error?: Error) => {
        this.rawConsumer = undefined;
        this.input.setRawMode!(false);
        options.signal?.removeEventListener('abort', onAbort);
        this.output.write('\n');
        if (error) reject(error);
        else resolve(value);
      };
      const onAbort = () => finish(undefined);
      if (options.signal?.aborted) return finish(undefined);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.input.setRawMode!(true);
      this.rawConsumer = (chunk) => {
        if (chunk.startsWith('\u001b')) return; // arrow keys and other escape sequences
        for (const char of chunk) {
          if (char === '\r' || char === '\n') return finish(secret);
          if (char === CTRL_C) return finish(undefined, new PromptInterrupted());
          if (char === CTRL_D && secret === '') return finish(undefined);
          if (BACKSPACES.has(char)) secret = [...secret].slice(0, -1).join('');
          else if (char === CTRL_U) secret = '';
          else if (char >= ' ') secret += char;
        }
      };
    });
  }

  /** Off a terminal nothing echoes the answer: finish the question's line ourselves (masking secrets). */
  private async ask(question: string, secret: boolean, options: PromptOptions): Promise<string | undefined> {
    if (question) this.output.write(question);
    const line = await this.nextLine(options.signal);
    if (question && !this.isTerminal) this.output.write(line === undefined ? '\n' : secret ? '********\n' : `${line}\n`);
    return line;
  }

  /** Stops reading standard input so the process can exit. */
  close(): void {
    if (this.listening) this.input.pause();
    if (this.rawConsumer && this.isTerminal) this.input.setRawMode!(false);
  }

  private nextLine(signal?: AbortSignal): Promise<string | undefined> {
    this.listen();
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.ended || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: LineWaiter = (line) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(line);
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.input.setEncoding('utf8');
    this.input.on('data', (chunk: string) => this.onData(chunk));
    this.input.on('end', () => this.onEnd());
    this.input.on('error', () => this.onEnd());
    this.input.resume();
  }

  private onData(chunk: string): void {
    if (this.rawConsumer) return this.rawConsumer(chunk);
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).replace(/\r$/, '');
      this.buffered = this.buffered.slice(newline + 1);
      this.deliver(line);
    }
  }

  private onEnd(): void {
    if (this.ended) return;
    if (this.buffered) {
      this.deliver(this.buffered.replace(/\r$/, ''));
      this.buffered = '';
    }
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private deliver(line: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(line);
    else this.lines.push(line);
  }
}
