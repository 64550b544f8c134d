// jami-link's exit codes: one table, shown in --help and used by every command, so scripts can
// tell a wrong password from a network failure from a daemon that is not running.

export const ExitCode = {
  success: 0,
  /** Anything else: a D-Bus error, the daemon refused the call (addDevice -3), an unexpected state. */
  failure: 1,
  /** Bad arguments: an invalid token, an unknown or ambiguous account, a prompt needed but not allowed. */
  usage: 2,
  /** No bus, or nobody owns the daemon's bus name (or it went away during the command). */
  daemonNotRunning: 3,
  /** The link ended with error "network". */
  network: 4,
  /**
   * The link ended with error "auth_error" (jamid's word; the seed's "authentication"), e.g. three wrong
   * passwords; a wrong password for an archive file (import-file) or an account (backup); or no password
   * could be read.
   */
  authentication: 5,
  /** The link ended with error "timeout". */
  timeout: 6,
  /** Canceled: Ctrl-C, "no" at the confirm prompt, or the other device canceled. */
  canceled: 7,
  /** A link is already in progress for this account (addDevice returned -2). */
  busy: 8,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

/** One line per code for --help and the README, in code order. */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [code: number, name: ExitCodeName, meaning: string]> = [
  [ExitCode.success, 'success', 'done (the device is linked, the account is listed/created/removed)'],
  [ExitCode.failure, 'failure', 'other error (D-Bus error, daemon refused the request)'],
  [ExitCode.usage, 'usage', 'bad arguments, invalid token, unknown or ambiguous account'],
  [ExitCode.daemonNotRunning, 'daemonNotRunning', 'jami-linkd is not running (or no bus)'],
  [ExitCode.network, 'network', 'the link failed: network'],
  [ExitCode.authentication, 'authentication', 'wrong password (a link: 3 times; import-file, backup: once)'],
  [ExitCode.timeout, 'timeout', 'the link timed out'],
  [ExitCode.canceled, 'canceled', 'canceled (Ctrl-C, refused, or by the other device)'],
  [ExitCode.busy, 'busy', 'a link is already in progress for this account'],
];

/** Exit code for the `error` detail of state 5 (Done), in jamid's words or the seed's. "" and "none" mean success. */
export function exitCodeForLinkError(error: string): number {
  switch (error) {
    case '':
    case 'none':
      return ExitCode.success;
    case 'network':
      return ExitCode.network;
    case 'auth_error':
    case 'invalid_credentials':
    case 'authentication':
      return ExitCode.authentication;
    case 'timeout':
      return ExitCode.timeout;
    case 'canceled':
      return ExitCode.canceled;
    default:
      return ExitCode.failure;
  }
}

export function exitCodeName(code: number): ExitCodeName | undefined {
  return EXIT_CODE_TABLE.find(([value]) => value === code)?.[1];
}

export function formatExitCodeTable(): string {
  return EXIT_CODE_TABLE.map(([code, , meaning]) => `  ${String(code).padStart(2)}  ${meaning}`).join('\n');
}
