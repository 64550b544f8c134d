// One import (new device): the import machine's effect adapter. Classifies the rendezvous' and the
// account port's outcomes into inputs, and performs the effects (signals, messages, storing, discarding).

import { attempt, describeError } from '../contract/guards.js';
import type { AccountProof, LinkTransport } from '../contract/link-contract.js';
import { formatAuthToken } from './auth-token.js';
import {
  IMPORT_MACHINE,
  importAwaitsUser,
  importStep,
  type ImportContext,
  type ImportInput,
  type ImportOutput,
  type ImportStateName,
} from './import-machine.js';
import { LinkSession, type LinkSessionOptions } from './link-session.js';
import { INVALID_CREDENTIALS, LinkState } from './link-state.js';
import type { ImportAccountPort } from './ports.js';

/** The schemes a consent may name: jamid's '' and 'password', and the seed's 'none'. */
const CONSENT_SCHEMES = new Set(['', 'none', 'password']);

export interface ImportSessionOptions extends LinkSessionOptions {
  /** The local account id the D-Bus addAccount created for the account being imported. */
  accountId: string;
  transport: LinkTransport;
  accounts: ImportAccountPort;
}

export class ImportSession extends LinkSession<ImportStateName, ImportInput, ImportOutput, ImportContext> {
  private readonly transport: LinkTransport;
  private readonly accounts: ImportAccountPort;
  private storing: Promise<unknown> | undefined;
  private discarding: Promise<void> | undefined;

  constructor(options: ImportSessionOptions) {
    super({ spec: IMPORT_MACHINE, step: importStep, awaitsUser: importAwaitsUser }, options, 'import', { accountId: options.accountId });
    this.transport = options.transport;
    this.accounts = options.accounts;
  }

  /** provideAccountAuthentication: our user's consent in state 3, with the password when the account has one
   *  ('' otherwise: an empty password on a protected account is a wrong try, as with jamid). True when taken. */
  provideAuthentication(credentials: string, scheme: string): boolean {
    if (!CONSENT_SCHEMES.has(scheme) || typeof credentials !== 'string') return false;
    return this.dispatch({ type: 'consentGiven', password: credentials });
  }

  /** Enters Init: asks the transport for a rendezvous (the token). */
  protected begin(): void {
    this.log.info({}, 'import started');
    attempt(() => this.transport.startImport()).then(
      (rendezvous) => {
        if (!this.adoptLink(rendezvous)) return;
        rendezvous.on('peer', (proof: AccountProof) => this.dispatch({ type: 'peerDetected', proof }));
        this.dispatch({ type: 'tokenGenerated', token: rendezvous.token });
      },
      (err) => {
        this.log.warn({ err: describeError(err) }, 'import: no rendezvous');
        this.dispatch({ type: 'tokenFailed' });
      },
    );
  }

  protected performOwn(effect: ImportOutput, input: ImportInput, context: ImportContext): void {
    switch (effect) {
      case 'signalTokenAvailable':
        if (context.token === undefined) throw new Error('signalTokenAvailable without a token');
        return this.report(LinkState.TOKEN_AVAILABLE, { token: formatAuthToken(context.token) });
      case 'signalConnecting':
        return this.report(LinkState.CONNECTING, {});
      case 'signalAuthenticating':
        return this.report(LinkState.AUTHENTICATING, { peer_id: provedAccount(context), auth_scheme: context.scheme });
      case 'signalBadPassword':
        return this.report(LinkState.AUTHENTICATING, { peer_id: provedAccount(context), auth_scheme: 'password', auth_error: INVALID_CREDENTIALS });
      case 'signalInProgress':
        return this.report(LinkState.IN_PROGRESS, {});
      case 'sendPassword':
        if (context.password === undefined) throw new Error('sendPassword without a password');
        return this.send({ t: 'password', password: context.password });
      case 'stretchPassword':
        // Only a password the exporter asked for will seal the stored archive (the store skips '', no password).
        if (context.scheme === 'password' && context.password !== undefined) this.accounts.prepareSealingKey(this.accountId, context.password);
        return;
      case 'expectArchive':
        if (context.expectedSize === undefined || this.channel === undefined) throw new Error('expectArchive without a size or a channel');
        return this.channel.expectArchive(context.expectedSize, this.accounts.beginReceiving(this.accountId));
      case 'store':
        if (input.type !== 'archive') throw new Error('store without an archive');
        return this.store(input.archive, context);
      case 'sendStored':
        if (context.deviceChain === undefined) throw new Error('sendStored without our device chain');
        return this.send({ t: 'stored', device: context.deviceChain });
      case 'closeChannel':
        return this.acknowledge();
      case 'discard':
        return this.discard();
      default:
        throw new Error(`import: no effect ${effect}`);
    }
  }

  private store(archive: Buffer, context: ImportContext): void {
    const exporter = context.proof;
    if (exporter === undefined) throw new Error('store without a verified exporter');
    const storing = attempt(() => this.accounts.storeLinkedAccount(this.accountId, archive, context.password ?? '', exporter));
    this.storing = storing;
    storing.then(
      (outcome) => {
        if (outcome.stored) return this.dispatch({ type: 'storeSucceeded', deviceChain: outcome.deviceChain });
        this.log.warn({ found: outcome.foundAccount, proved: exporter.accountId }, 'import: the archive holds another account than the exporter proved');
        this.dispatch({ type: 'accountMismatch' });
      },
      (err) => {
        this.log.warn({ err: describeError(err) }, 'import: storing the account failed');
        this.dispatch({ type: 'storeFailed' });
      },
    );
  }

  /** `stored` was sent: close gracefully so it is flushed before we call it a success; it is the old device's
   *  only word of our success, so the close waits as long as the connection may take to deliver it. */
  private acknowledge(): void {
    this.closeChannel({ lastWord: true }).then(
      () => this.dispatch({ type: 'acknowledged' }),
      (err) => {
        this.log.warn({ err: describeError(err) }, 'import: closing after `stored` failed');
        this.dispatch({ type: 'ackFailed' });
      },
    );
  }

  /** Waits for a store in flight to settle first, so nothing it writes survives the discard; DONE
   *  waits for the discard, so a client never sees a failed account after its DONE. */
  private discard(): void {
    this.discarding ??= (this.storing ?? Promise.resolve())
      .catch(() => {})
      .then(() => this.accounts.discard(this.accountId))
      .catch((err) => this.log.error({ err: describeError(err) }, 'import: discard failed'));
    this.holdDoneUntil(this.discarding);
  }
}

/** The Jami ID the exporter proved (recorded in state 2). */
function provedAccount(context: ImportContext): string {
  if (context.proof === undefined) throw new Error('no verified exporter yet');
  return context.proof.accountId;
}
