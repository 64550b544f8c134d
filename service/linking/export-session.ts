// One export (old device, one addDevice operation): the export machine's effect adapter. Classifies the
// account port's outcomes into inputs (opened, wrong password, unavailable) and performs the effects.

import { attempt, describeError } from '../contract/guards.js';
import type { AuthToken, LinkTransport, PeerLocation } from '../contract/link-contract.js';
import {
  EXPORT_MACHINE,
  exportAwaitsUser,
  exportStep,
  type ExportContext,
  type ExportInput,
  type ExportOutput,
  type ExportStateName,
} from './export-machine.js';
import { LinkSession, type LinkSessionOptions } from './link-session.js';
import { LinkState, type LinkDetails } from './link-state.js';
import type { ExportAccountPort } from './ports.js';
import { slicedSha256Hex } from './sliced-digest.js';

export interface ExportSessionOptions extends LinkSessionOptions {
  accountId: string;
  opId: number;
  /** Already parsed (addDevice answers -1 for a token that does not parse). */
  token: AuthToken;
  transport: LinkTransport;
  accounts: ExportAccountPort;
}

export class ExportSession extends LinkSession<ExportStateName, ExportInput, ExportOutput, ExportContext> {
  readonly opId: number;
  private readonly token: AuthToken;
  private readonly transport: LinkTransport;
  private readonly accounts: ExportAccountPort;
  /** An account without a password: its archive, read and hashed ahead (see readAhead), until consent takes it. */
  private readAhead: Promise<ArchiveReadAhead | undefined> | undefined;
  /** The archive consent opened, with its digest when it was read ahead. */
  private opened: ArchiveReadAhead | undefined;

  constructor(options: ExportSessionOptions) {
    super({ spec: EXPORT_MACHINE, step: exportStep, awaitsUser: exportAwaitsUser }, options, 'export', {
      accountId: options.accountId,
      opId: options.opId,
    });
    this.opId = options.opId;
    this.token = options.token;
    this.transport = options.transport;
    this.accounts = options.accounts;
  }

  /** confirmAddDevice: true only while waiting for our user to confirm the peer (state 3, nothing sent yet). */
  confirm(): boolean {
    return this.dispatch({ type: 'confirm' });
  }

  /** Token validated: state 2 at once, then credentials and the transport. Whether the account has a
   *  password is read now: it decides what confirm sends. */
  protected begin(): void {
    this.log.info({ peer: this.token.peerId.slice(0, 8) }, 'export started');
    let accountProtected: boolean;
    try {
      accountProtected = this.accounts.hasPassword(this.accountId);
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'export: cannot tell whether the account has a password');
      this.dispatch({ type: 'unexpectedEvent' });
      return;
    }
    if (!accountProtected) this.readAhead = this.readArchiveAhead();
    this.dispatch({ type: 'tokenValidated', accountProtected });
  }

  /**
   * Without a password, what the importer's consent opens is known from the start: the archive file as it is. It
   * is read now (on the thread pool), and hashed a slice per turn (sliced-digest.ts), while the DHT rounds, ICE and
   * both users' answers go on: for a 37 MB archive, ~35 ms of reading and ~22 ms of hashing the link no longer waits
   * for once consent comes, and the event loop is never held meanwhile. Nothing of it leaves before consent. Best
   * effort: on any failure, consent opens the archive as it would have.
   */
  private async readArchiveAhead(): Promise<ArchiveReadAhead | undefined> {
    try {
      const archive = await this.accounts.openArchive(this.accountId, '');
      if (archive === undefined) return undefined;
      return { archive, sha256: await slicedSha256Hex(archive) };
    } catch (err) {
      this.log.debug({ err: describeError(err) }, 'export: the archive could not be read ahead');
      return undefined;
    }
  }

  protected performOwn(effect: ExportOutput, input: ExportInput, context: ExportContext): void {
    switch (effect) {
      case 'signalConnecting':
        return this.report(LinkState.CONNECTING, {});
      case 'connect':
        return this.connect();
      case 'signalAuthenticating':
        return this.report(LinkState.AUTHENTICATING, peerAddressDetails(this.channel!.location));
      case 'sendAuthNone':
        return this.send({ t: 'auth', scheme: 'none' });
      case 'sendAuthPassword':
        return this.send({ t: 'auth', scheme: 'password' });
      case 'checkPassword':
        if (input.type !== 'password') throw new Error('checkPassword without a password');
        return this.openArchive(input.password);
      case 'sendBadPassword':
        this.log.info({ attemptsLeft: context.attemptsLeft }, 'export: wrong password');
        return this.send({ t: 'bad_password' });
      case 'signalInProgress':
        return this.report(LinkState.IN_PROGRESS, {});
      case 'sendTransfer':
        if (input.type !== 'archiveOpened') throw new Error('sendTransfer without an archive');
        return this.send({ t: 'transfer', size: input.archive.length });
      case 'sendArchive':
        if (input.type !== 'archiveOpened') throw new Error('sendArchive without an archive');
        return this.sendArchive(input.archive);
      case 'recordNewDevice':
        if (input.type !== 'stored') throw new Error('recordNewDevice without `stored`');
        return this.recordNewDevice(input.device);
      default:
        throw new Error(`export: no effect ${effect}`);
    }
  }

  private connect(): void {
    attempt(() => this.accounts.credentials(this.accountId))
      .then((credentials) => {
        // Canceled while the credentials loaded: the transport is never started.
        if (this.done) return;
        this.adoptLink(this.transport.startExport(this.token, credentials));
      })
      .catch((err) => {
        this.log.warn({ err: describeError(err) }, 'export: could not start the transport');
        this.dispatch({ type: 'connectFailed' });
      });
  }

  /** Opens our archive with what the importer's user gave ('' is consent to an account without a password). */
  private openArchive(password: string): void {
    // Only consent to an account without a password ('') opens what was read ahead; anything else is checked.
    const ahead = password === '' ? this.readAhead : undefined;
    if (ahead !== undefined) this.readAhead = undefined;
    attempt(async () => {
      this.opened = await ahead;
      return this.opened?.archive ?? this.accounts.openArchive(this.accountId, password);
    }).then(
      (archive) => this.dispatch(archive !== undefined ? { type: 'archiveOpened', archive } : { type: 'passwordWrong' }),
      (err) => {
        this.log.error({ err: describeError(err) }, 'export: opening the archive failed');
        this.dispatch({ type: 'archiveUnavailable' });
      },
    );
  }

  /** The account's devices list the new one before our DONE, so a client reading them after DONE sees it. */
  private recordNewDevice(deviceChain: string): void {
    const recorded = attempt(() => this.accounts.recordDevice(this.accountId, deviceChain)).catch((err) =>
      this.log.warn({ err: describeError(err) }, 'export: the new device could not be listed'),
    );
    this.holdDoneUntil(recorded);
  }

  private sendArchive(archive: Buffer): void {
    const channel = this.channel!;
    const sha256 = this.opened?.archive === archive ? this.opened.sha256 : undefined;
    this.opened = undefined;
    attempt(() => channel.sendArchive(archive, sha256)).catch((err) => {
      this.log.warn({ err: describeError(err) }, 'export: sending the archive failed');
      this.dispatch({ type: 'sendFailed' });
    });
  }
}

/**
 * What the old device's user checks before confirming: the new device's address and how it was reached. Through
 * a TURN relay the pair's address is the relay's, so `peer_address` is what the new device announced of itself
 * and `peer_relay` the relay (Jami's clients show `peer_address` and ignore the other keys).
 */
function peerAddressDetails(location: PeerLocation): LinkDetails {
  return {
    peer_address: location.address,
    peer_address_type: location.type,
    ...(location.relay !== undefined ? { peer_relay: location.relay } : {}),
  };
}

/** The archive of an account without a password, read before consent. */
interface ArchiveReadAhead {
  readonly archive: Buffer;
  /** Its SHA-256 (hex), for the channel's header. */
  readonly sha256: string;
}
