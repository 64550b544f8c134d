// What jami-link prints: human lines (colours and a spinner only on a terminal, NO_COLOR honoured)
// or JSON lines (one per state change and a final result), the token's QR block, the account list.

import type { Writable } from 'node:stream';
import { exitCodeName, ExitCode } from './exit-codes.js';
import { renderQrHalfBlocks } from './qr.js';
import type { Details } from './daemon-client.js';
import type { ExportState } from './export-machine.js';
import type { ImportState } from './import-machine.js';

export const TERMINAL_WIDTH = 80;

/** The seed's states 0-5 by the names JSON lines use. */
export const STATE_NAMES = ['init', 'token_available', 'connecting', 'authenticating', 'in_progress', 'done'] as const;

export function stateName(state: number): string {
  return STATE_NAMES[state] ?? `unknown_${state}`;
}

export type Side = 'import' | 'export';
export type CommandName = 'import' | 'export' | 'accounts' | 'create' | 'remove' | 'import-file' | 'backup';

export interface StateEvent {
  side: Side;
  accountId: string;
  opId?: number;
  state: number;
  details: Details;
  /** The client machine's state after this signal. */
  clientState: ImportState | ExportState;
  /** Import side, state 3 of a password account: passwords the daemon still accepts. */
  attemptsLeft?: number;
}

export interface CommandResult {
  command: CommandName;
  exitCode: number;
  /** Human sentence; for failures, what went wrong and what to do. */
  message?: string;
  /** Machine-readable data (account ids, the link error, the token problem...), copied into the JSON line. */
  data?: Record<string, unknown>;
}

export interface StateLine {
  event: 'state';
  side: Side;
  accountId: string;
  opId?: number;
  state: number;
  name: string;
  details: Details;
  clientState: ImportState | ExportState;
  attemptsLeft?: number;
}

export interface ResultLine {
  event: 'result';
  command: CommandName;
  ok: boolean;
  exitCode: number;
  status: string;
  message?: string;
  [key: string]: unknown;
}

export function stateLine(event: StateEvent): StateLine {
  const line: StateLine = { event: 'state', side: event.side, accountId: event.accountId, state: event.state, name: stateName(event.state), details: event.details, clientState: event.clientState };
  if (event.opId !== undefined) line.opId = event.opId;
  if (event.attemptsLeft !== undefined) line.attemptsLeft = event.attemptsLeft;
  return line;
}

export function resultLine(result: CommandResult): ResultLine {
  return {
    event: 'result',
    command: result.command,
    ok: result.exitCode === ExitCode.success,
    exitCode: result.exitCode,
    status: exitCodeName(result.exitCode) ?? 'failure',
    ...(result.message ? { message: result.message } : {}),
    ...result.data,
  };
}

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Colours on a terminal unless NO_COLOR is set (to anything non-empty) or TERM is dumb. */
export function colorsWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function makeStyle(enabled: boolean): Style {
  const sgr = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { enabled, bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/** Removes ANSI escape sequences, to measure what a terminal shows. */
export function visibleText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/** The import side's token screen: the QR code, the token, and how to use it on the other device. */
export function tokenBlock(token: string, style: Style): string[] {
  const qr = renderQrHalfBlocks(token, style.enabled ? { ink: 'dark', color: true } : { ink: 'light' });
  return [
    'On the device that has the account (it must run jami-linkd: the Jami apps',
    'cannot link with it), scan this QR code or type the code below:',
    '',
    ...qr.map((line) => `  ${line}`),
    '',
    `  ${style.bold(token)}`,
    '',
    style.dim('  Copy it (select it with the mouse), then on the device that has the account:'),
    style.dim('    jami-link export ACCOUNT TOKEN'),
    '',
  ];
}

export interface AccountRow {
  id: string;
  alias: string;
  jamiId: string;
  deviceId: string;
  deviceName: string;
  hasPassword: boolean;
  /** Still being imported (a link in progress). */
  linking: boolean;
}

/** One block per account, every line under 80 columns (device ids are 64 hex). */
export function accountBlocks(rows: AccountRow[], style: Style): string[] {
  if (rows.length === 0) return ['No accounts. Create one with: jami-link create --alias NAME, or link one with: jami-link import'];
  const lines: string[] = [];
  for (const row of rows) {
    const title = row.alias ? `${style.bold(row.alias)}  ${style.dim(`(id ${row.id})`)}` : style.bold(row.id);
    lines.push(row.linking ? `${title}  ${style.yellow('being linked')}` : title);
    lines.push(`  Jami ID:   ${row.jamiId || '-'}`);
    lines.push(`  device:    ${row.deviceId || '-'}`);
    if (row.deviceName) lines.push(`  name:      ${row.deviceName}`);
    lines.push(`  password:  ${row.hasPassword ? 'yes' : 'no'}`);
  }
  return lines;
}

/** The final message of a command that put an account on this device (import, import-file). */
export function newAccountMessage(accountId: string, jamiId: string, deviceId: string): string {
  return [`Account id: ${accountId}`, `Jami ID:    ${jamiId}`, ...(deviceId ? [`Device id:  ${deviceId}`] : [])].join('\n');
}

/** After a wrong password: how many more the daemon takes. */
export function wrongPasswordLine(attemptsLeft: number): string {
  return `Wrong password. ${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left.`;
}

export type Tone = 'info' | 'ok' | 'fail' | 'warn';

/** Where a command's output goes: human lines or JSON lines. */
export interface Reporter {
  readonly json: boolean;
  state(event: StateEvent): void;
  say(tone: Tone, text: string): void;
  lines(lines: string[]): void;
  /** Shows `text` with a spinner until the next output (a plain line when not on a terminal). */
  wait(text: string): void;
  stopWaiting(): void;
  result(result: CommandResult): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const SPINNER_MS = 80;

export class HumanReporter implements Reporter {
  readonly json = false;
  private spinner: { timer: NodeJS.Timeout; text: string; frame: number } | undefined;

  constructor(
    private readonly out: Writable & { isTTY?: boolean },
    private readonly err: Writable,
    readonly style: Style,
  ) {}

  state(_event: StateEvent): void {
    // Human output follows the client machine's outputs, not raw signals.
  }

  say(tone: Tone, text: string): void {
    this.stopWaiting();
    const mark = { info: '', ok: `${this.style.green('✔')} `, fail: `${this.style.red('✖')} `, warn: `${this.style.yellow('!')} ` }[tone];
    this.out.write(`${mark}${text}\n`);
  }

  lines(lines: string[]): void {
    this.stopWaiting();
    this.out.write(lines.map((line) => `${line}\n`).join(''));
  }

  wait(text: string): void {
    this.stopWaiting();
    if (!this.out.isTTY) {
      this.out.write(`… ${text}\n`);
      return;
    }
    const spinner = { text, frame: 0, timer: setInterval(() => this.drawSpinner(), SPINNER_MS) };
    this.spinner = spinner;
    this.drawSpinner();
  }

  stopWaiting(): void {
    if (!this.spinner) return;
    clearInterval(this.spinner.timer);
    this.spinner = undefined;
    this.out.write('\r\u001b[K');
  }

  result(result: CommandResult): void {
    this.stopWaiting();
    if (!result.message) return;
    if (result.exitCode === ExitCode.success) this.out.write(`${result.message}\n`);
    else this.err.write(`${this.style.red('jami-link:')} ${result.message}\n`);
  }

  private drawSpinner(): void {
    if (!this.spinner) return;
    const frame = SPINNER[this.spinner.frame++ % SPINNER.length];
    this.out.write(`\r\u001b[K${this.style.cyan(frame)} ${this.spinner.text}`);
  }
}

export class JsonReporter implements Reporter {
  readonly json = true;

  constructor(private readonly out: Writable) {}

  state(event: StateEvent): void {
    this.write(stateLine(event));
  }

  say(_tone: Tone, _text: string): void {}

  lines(_lines: string[]): void {}

  wait(_text: string): void {}

  stopWaiting(): void {}

  result(result: CommandResult): void {
    this.write(resultLine(result));
  }

  private write(line: object): void {
    this.out.write(`${JSON.stringify(line)}\n`);
  }
}
