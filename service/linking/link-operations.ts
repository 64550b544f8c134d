// The registry of live link operations that the D-Bus layer calls: one import per local account,
// one export (addDevice operation) per account. Answers with Jami's codes and never throws.

import { systemClock, type Clock } from '../contract/clock.js';
import { describeError, guarded } from '../contract/guards.js';
import type { AuthToken, LinkTransport } from '../contract/link-contract.js';
import { silentLogger, type Logger } from '../contract/logger.js';
import { InvalidTokenError, parseAuthToken } from './auth-token.js';
import { ExportSession } from './export-session.js';
import { ImportSession } from './import-session.js';
import { LinkState, type LinkError } from './link-state.js';
import type { ExportAccountPort, ImportAccountPort, LinkSignals } from './ports.js';

/** addDevice's answers other than an operation id. */
export const AddDeviceError = {
  INVALID_URI: -1,
  IN_PROGRESS: -2,
  OTHER: -3,
} as const;

const MAX_OP_ID = 0x7fffffff;

export interface LinkOperationsOptions {
  transport: LinkTransport;
  importAccounts: ImportAccountPort;
  exportAccounts: ExportAccountPort;
  signals: LinkSignals;
  clock?: Clock;
  logger?: Logger;
  /** Whole-operation limit for every import and export (default 5 min; see LinkSessionOptions). */
  timeoutMs?: number;
  /** How long a shown token waits for an exporter; 0 or absent: until canceled. */
  tokenLifetimeMs?: number;
}

export class LinkOperations {
  private readonly options: LinkOperationsOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly imports = new Map<string, ImportSession>();
  /** By account id: one export at a time per account. */
  private readonly exports = new Map<string, ExportSession>();
  /** Every session not yet settled (DONE reported and closed), for shutdown(). */
  private readonly unsettled = new Set<Promise<LinkError>>();
  private nextOpId = 1;
  private shuttingDown = false;

  constructor(options: LinkOperationsOptions) {
    this.options = options;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
  }

  /** addAccount with Account.archiveURL="jami-auth": the account id exists; show a token for it. */
  startImport(localAccountId: string): void {
    if (!isId(localAccountId)) {
      this.log.warn({}, 'startImport: no account id');
      return;
    }
    if (this.imports.has(localAccountId)) {
      this.log.warn({ accountId: localAccountId }, 'startImport: an import is already running for this account');
      return;
    }
    const session = new ImportSession({
      accountId: localAccountId,
      transport: this.options.transport,
      accounts: this.options.importAccounts,
      clock: this.clock,
      logger: this.log,
      timeoutMs: this.options.timeoutMs,
      tokenLifetimeMs: this.options.tokenLifetimeMs,
      onState: (state, details) => {
        if (state === LinkState.DONE && this.imports.get(localAccountId) === session) this.imports.delete(localAccountId);
        guarded(this.log, 'a link signal listener threw', () => this.options.signals.deviceAuthStateChanged(localAccountId, state, details));
      },
    });
    this.imports.set(localAccountId, session);
    this.track(session.settled);
    if (this.shuttingDown) session.cancel();
    else session.start();
  }

  /** provideAccountAuthentication: our user's consent (and password, if any) in state 3. True when the
   *  import took it; false for an unknown account, another state, or a scheme other than '', 'none', 'password'. */
  provideAccountAuthentication(accountId: string, credentials: string, scheme: string): boolean {
    if (!isId(accountId) || typeof credentials !== 'string' || typeof scheme !== 'string') return false;
    return this.imports.get(accountId)?.provideAuthentication(credentials, scheme) ?? false;
  }

  /** removeAccount on an account being imported: true when a live import was canceled. */
  cancelImport(accountId: string): boolean {
    if (!isId(accountId)) return false;
    return this.imports.get(accountId)?.cancel() ?? false;
  }

  /** True from startImport until its DONE was reported. */
  isImporting(accountId: string): boolean {
    return isId(accountId) && this.imports.has(accountId);
  }

  /** addDevice: an operation id (> 0), or -1 invalid URI, -2 a link already in progress for this
   *  account, -3 another error (unknown account, shutting down). */
  addDevice(accountId: string, uri: string): number {
    let token: AuthToken;
    try {
      token = parseAuthToken(uri);
    } catch (err) {
      const problem = err instanceof InvalidTokenError ? err.problem : 'unknown';
      this.log.info({ accountId: loggableId(accountId), problem }, 'addDevice: invalid token');
      return AddDeviceError.INVALID_URI;
    }
    if (!isId(accountId) || this.shuttingDown || !this.accountExists(accountId)) {
      this.log.info({ accountId: loggableId(accountId) }, 'addDevice: unknown account');
      return AddDeviceError.OTHER;
    }
    if (this.exports.has(accountId) || this.imports.has(accountId)) {
      this.log.info({ accountId }, 'addDevice: a link is already in progress for this account');
      return AddDeviceError.IN_PROGRESS;
    }
    const opId = this.allocateOpId();
    let session: ExportSession;
    try {
      session = new ExportSession({
        accountId,
        opId,
        token,
        transport: this.options.transport,
        accounts: this.options.exportAccounts,
        clock: this.clock,
        logger: this.log,
        timeoutMs: this.options.timeoutMs,
        onState: (state, details) => {
          if (state === LinkState.DONE && this.exports.get(accountId) === session) this.exports.delete(accountId);
          guarded(this.log, 'a link signal listener threw', () => this.options.signals.addDeviceStateChanged(accountId, opId, state, details));
        },
      });
    } catch (err) {
      this.log.error({ accountId, err: describeError(err) }, 'addDevice failed');
      return AddDeviceError.OTHER;
    }
    this.exports.set(accountId, session);
    this.track(session.settled);
    // The caller gets the op id (the D-Bus reply) before any signal that carries it.
    queueMicrotask(() => session.start());
    return opId;
  }

  /** confirmAddDevice: false for an unknown account or operation, or when not awaiting confirmation. */
  confirmAddDevice(accountId: string, opId: number): boolean {
    return this.exportFor(accountId, opId)?.confirm() ?? false;
  }

  /** cancelAddDevice: false for an unknown account or operation, or one already ended. */
  cancelAddDevice(accountId: string, opId: number): boolean {
    return this.exportFor(accountId, opId)?.cancel() ?? false;
  }

  /** removeAccount on an account that may be exporting: cancels its export, if any (true when one was live). */
  cancelExportsOf(accountId: string): boolean {
    if (!isId(accountId)) return false;
    return this.exports.get(accountId)?.cancel() ?? false;
  }

  /**
   * Whether an operation is still live, and whether it waits for its own user (import: the password;
   * export: the confirmation). Lets the D-Bus layer end operations whose client left the bus.
   */
  operationStatus(accountId: string, opId?: number): 'done' | 'awaiting-user' | 'running' {
    const session = opId === undefined ? this.imports.get(accountId) : this.exportFor(accountId, opId);
    if (!session || session.done) return 'done';
    return session.awaitsUser ? 'awaiting-user' : 'running';
  }

  /** Ends every live operation with its one DONE ('canceled') and waits until all are closed. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const session of [...this.imports.values(), ...this.exports.values()]) session.cancel();
    await Promise.allSettled([...this.unsettled]);
  }

  private exportFor(accountId: string, opId: number): ExportSession | undefined {
    if (!isId(accountId) || !Number.isInteger(opId)) return undefined;
    const session = this.exports.get(accountId);
    return session?.opId === opId ? session : undefined;
  }

  private accountExists(accountId: string): boolean {
    try {
      return this.options.exportAccounts.exists(accountId);
    } catch (err) {
      this.log.error({ accountId: loggableId(accountId), err: describeError(err) }, 'addDevice: account lookup failed');
      return false;
    }
  }

  private allocateOpId(): number {
    const opId = this.nextOpId;
    this.nextOpId = opId >= MAX_OP_ID ? 1 : opId + 1;
    return opId;
  }

  private track(settled: Promise<LinkError>): void {
    this.unsettled.add(settled);
    void settled.then(() => this.unsettled.delete(settled));
  }
}

/** Client input is logged only when it looks like an account id: no megabyte lines, no pasted tokens. */
function loggableId(value: string): string {
  return /^[0-9A-Za-z._-]{1,64}$/.test(value) ? value : '(not an account id)';
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
