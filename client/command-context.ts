// What every jami-link command gets (where to print, how to ask, Ctrl-C) and how an error
// becomes a result with its exit code.

import type { EventEmitter } from 'node:events';
import type { BusChoice } from './daemon-client.js';
import { DaemonCallError, DaemonNotRunningError } from './daemon-client.js';
import { ExitCode } from './exit-codes.js';
import type { Prompter } from './prompt.js';
import { QrImageError } from './qr.js';
import type { CommandName, CommandResult, Reporter, Style } from './render.js';

export interface CommandContext {
  readonly reporter: Reporter;
  readonly prompter: Prompter;
  readonly style: Style;
  /** Emits "interrupt" on Ctrl-C (SIGINT, or Ctrl-C typed while a password is read). */
  readonly interrupts: EventEmitter<{ interrupt: [] }>;
  readonly bus: BusChoice;
  /** --json: machine-readable output, never a prompt. */
  readonly json: boolean;
}

/** A usage problem found by jami-link itself (bad arguments, unknown account, invalid token). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The user (or the other device) stopped the command. */
export function canceledResult(command: CommandName, message = 'Canceled.', data: Record<string, unknown> = {}): CommandResult {
  return { command, exitCode: ExitCode.canceled, message, data: { error: 'canceled', ...data } };
}

/** A password was needed and none could be read (no terminal, --json, or an empty --password-stdin). */
export function passwordNeededResult(command: CommandName, message: string): CommandResult {
  return { command, exitCode: ExitCode.authentication, message, data: { error: 'password_needed' } };
}

export function resultForError(command: CommandName, error: unknown): CommandResult {
  if (error instanceof UsageError) return { command, exitCode: ExitCode.usage, message: error.message, data: { error: 'usage', ...error.data } };
  if (error instanceof QrImageError) return { command, exitCode: ExitCode.usage, message: error.message, data: { error: 'qr_image' } };
  if (error instanceof DaemonNotRunningError) {
    return { command, exitCode: ExitCode.daemonNotRunning, message: error.message, data: { error: 'daemon_not_running' } };
  }
  if (error instanceof DaemonCallError) {
    const invalid = error.errorName.endsWith('.InvalidArgument');
    return { command, exitCode: invalid ? ExitCode.usage : ExitCode.failure, message: error.message, data: { error: 'dbus', dbusError: error.errorName } };
  }
  return { command, exitCode: ExitCode.failure, message: (error as Error)?.message ?? String(error), data: { error: 'internal' } };
}
