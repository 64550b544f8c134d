// Account.registrationStatus as Jami's clients read it, and registrationStateChanged whenever it changes.
// Jami's Qt client takes an account as added only when it first reads INITIALIZING (right after
// accountsChanged) and then hears another state, so: INITIALIZING while an account is created, imported or
// linked (a failed link stays there, as with jamid), then UNREGISTERED and TRYING or REGISTERED as the DHT
// node has peers or not.

import type { AccountStore } from '../accounts/account-store.js';
import type { Clock } from '../contract/clock.js';

export type RegistrationState = 'INITIALIZING' | 'UNREGISTERED' | 'TRYING' | 'REGISTERED' | 'ERROR_GENERIC';

export interface RegistrationSignals {
  registrationStateChanged(accountId: string, state: RegistrationState, code: number, detail: string): void;
  volatileAccountDetailsChanged(accountId: string, details: Record<string, string>): void;
}

/** How often the DHT node's connectivity is looked at (it has no event for it). */
const CONNECTIVITY_POLL_MS = 2000;

export class RegistrationStates {
  /** The state each listed account was last announced in. */
  private readonly announced = new Map<string, RegistrationState>();
  private poll: unknown;
  private readonly listeners: Array<[string, (...args: unknown[]) => void]>;

  constructor(
    private readonly accounts: AccountStore,
    private readonly dhtConnected: () => boolean,
    private readonly signals: RegistrationSignals,
    private readonly clock: Clock,
  ) {
    for (const id of accounts.list()) this.announced.set(id, this.stateOf(id)!);
    this.listeners = [
      ['changed', () => this.onListChanged()],
      ['ready', (id) => this.onReady(id as string)],
      ['failed', (id) => this.announce(id as string, 'ERROR_GENERIC')],
    ];
  }

  start(): void {
    for (const [event, listener] of this.listeners) this.accounts.on(event, listener);
    this.schedulePoll();
  }

  stop(): void {
    for (const [event, listener] of this.listeners) this.accounts.off(event, listener);
    if (this.poll !== undefined) this.clock.clearTimeout(this.poll);
    this.poll = undefined;
  }

  /** The state getVolatileAccountDetails reports; undefined for an unknown account. */
  stateOf(accountId: string): RegistrationState | undefined {
    if (this.accounts.getInitializing(accountId)) return 'INITIALIZING';
    if (!this.accounts.get(accountId)) return undefined;
    return this.dhtConnected() ? 'REGISTERED' : 'TRYING';
  }

  /** getVolatileAccountDetails: the registration state, and the device id once the account has one. */
  volatileDetails(accountId: string): Record<string, string> {
    const state = this.stateOf(accountId);
    if (state === undefined) return {};
    const record = this.accounts.get(accountId);
    return {
      'Account.registrationStatus': state,
      'Account.active': 'true',
      ...(record ? { 'Account.deviceID': record.deviceId } : {}),
    };
  }

  private onListChanged(): void {
    const listed = new Set(this.accounts.list());
    for (const id of this.announced.keys()) if (!listed.has(id)) this.announced.delete(id);
    for (const id of listed) if (!this.announced.has(id)) this.announce(id, this.stateOf(id)!);
  }

  /** Stored at last: it leaves INITIALIZING through UNREGISTERED, as a Jami account does once it has its keys. */
  private onReady(accountId: string): void {
    this.announce(accountId, 'UNREGISTERED');
    this.announce(accountId, this.stateOf(accountId)!);
  }

  private announce(accountId: string, state: RegistrationState): void {
    if (this.announced.get(accountId) === state) return;
    this.announced.set(accountId, state);
    this.signals.registrationStateChanged(accountId, state, 0, '');
    this.signals.volatileAccountDetailsChanged(accountId, { ...this.volatileDetails(accountId), 'Account.registrationStatus': state });
  }

  private schedulePoll(): void {
    this.poll = this.clock.setTimeout(() => {
      for (const [id, state] of this.announced) {
        const now = this.stateOf(id);
        if (now !== undefined && now !== state && state !== 'INITIALIZING' && now !== 'INITIALIZING') this.announce(id, now);
      }
      this.schedulePoll();
    }, CONNECTIVITY_POLL_MS);
  }
}
