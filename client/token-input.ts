// The export side's Init: where the token comes from (argument, standard input, typed at a prompt,
// or a QR image file) and why it is refused, all before any D-Bus call.

import { InvalidTokenError, parseAuthToken, type TokenProblem } from '../service/linking/auth-token.js';
import type { ExportMachine } from './export-machine.js';
import { UsageError, type CommandContext } from './command-context.js';
import { decodeQrImageFile, QrImageError } from './qr.js';

export type TokenCheck = { ok: true; token: string } | { ok: false; problem: TokenProblem; message: string };

/** Checks a token the user gave (surrounding spaces are dropped); the message says what is wrong. */
export function checkToken(text: string): TokenCheck {
  const token = text.trim();
  try {
    parseAuthToken(token);
    return { ok: true, token };
  } catch (error) {
    if (error instanceof InvalidTokenError) return { ok: false, problem: error.problem, message: `invalid token: ${error.message}` };
    throw error;
  }
}

export interface TokenSourceOptions {
  /** The TOKEN argument. */
  token?: string;
  /** --qr-image FILE. */
  qrImage?: string;
}

export class TokenCanceled extends Error {
  constructor() {
    super('no token entered');
    this.name = 'TokenCanceled';
  }
}

function refuse(check: Extract<TokenCheck, { ok: false }>, source: string): never {
  throw new UsageError(`${check.message} (from ${source}). The new device shows it: jami-auth:// then 40 hex digits, a slash and 6 digits.`, {
    error: 'invalid_token',
    problem: check.problem,
  });
}

/**
 * Obtains a valid token, driving the machine through ExportDevice.Init's sub-states. Refusals throw
 * UsageError; an empty answer at the interactive prompt throws TokenCanceled.
 */
export async function obtainToken(machine: ExportMachine, options: TokenSourceOptions, ctx: CommandContext): Promise<string> {
  if (options.token !== undefined && options.qrImage !== undefined) {
    throw new UsageError('give the token either as an argument or with --qr-image, not both');
  }
  if (options.qrImage !== undefined) {
    machine.fire('cameraSelected');
    machine.fire('startCamera');
    let text: string;
    try {
      text = await decodeQrImageFile(options.qrImage);
    } catch (error) {
      machine.fire('cancelScan');
      if (error instanceof QrImageError) throw new UsageError(error.message, { error: 'qr_image' });
      throw error;
    }
    const check = checkToken(text);
    if (!check.ok) {
      machine.fire('cancelScan');
      refuse(check, `the QR code in ${options.qrImage}`);
    }
    machine.fire('qrDetected');
    return check.token;
  }

  machine.fire('manualSelected');
  if (options.token !== undefined) return entered(machine, options.token, 'the argument');
  const interactive = ctx.prompter.isTerminal && !ctx.json;
  if (!interactive) {
    const line = await ctx.prompter.readLine('');
    if (line === undefined) {
      machine.fire('cancelEntry');
      throw new UsageError('no token: give it as an argument, on standard input, or with --qr-image FILE', { error: 'no_token' });
    }
    return entered(machine, line, 'standard input');
  }
  ctx.reporter.say('info', 'Type the token the new device shows (jami-auth://…); an empty line cancels.');
  for (;;) {
    const line = await ctx.prompter.readLine('Token: ');
    if (line === undefined || line.trim() === '') {
      machine.fire('cancelEntry');
      throw new TokenCanceled();
    }
    const check = checkToken(line);
    if (check.ok) {
      machine.fire('validCodeEntered');
      return check.token;
    }
    machine.fire('invalidCodeEntered');
    ctx.reporter.say('fail', check.message);
  }
}

function entered(machine: ExportMachine, text: string, source: string): string {
  const check = checkToken(text);
  if (!check.ok) {
    machine.fire('invalidCodeEntered');
    refuse(check, source);
  }
  machine.fire('validCodeEntered');
  return check.token;
}
