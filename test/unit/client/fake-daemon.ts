// Test double of the daemon as jami-link's commands see it (LinkDaemon): records each call, lets
// the test answer with signals, as jami-linkd would over D-Bus. No bus, no I/O.

import { EventEmitter } from 'node:events';
import { DaemonCallError, type DaemonClientEvents, type Details, type LinkDaemon } from '../../../client/daemon-client.js';

export type Call = { name: string; args: unknown[] };

export class FakeDaemon extends EventEmitter<DaemonClientEvents> implements LinkDaemon {
  readonly calls: Call[] = [];
  readonly accounts = new Map<string, Details>();
  importId = 'import0001';
  addDeviceResult = 7;
  /** Signals emitted inside addAccount, before its reply (as D-Bus may deliver them). */
  signalsBeforeAddAccountReply: Array<[number, Details]> = [];
  closed = false;
  /**
   * How addAccount answers a call with Account.archivePath, as jami-linkd would: a D-Bus error
   * [name, message] (e.g. cx.ring.Ring.Error.WrongPassword) or a new account id.
   */
  answerArchive: (details: Details) => [errorName: string, message: string] | string = () => 'file0001';
  /** What exportToFile returns (jami-linkd: false for a wrong password), or a D-Bus error [name, message]. */
  answerExport: (accountId: string, path: string, scheme: string, password: string) => boolean | [errorName: string, message: string] = () => true;
  private readonly waiters: Array<{ name: string; resolve: (args: unknown[]) => void }> = [];
  private seen = 0;

  /** Resolves with the arguments of the next call of `name` not yet returned by nextCall. */
  nextCall(name: string): Promise<unknown[]> {
    const index = this.calls.findIndex((call, i) => i >= this.seen && call.name === name);
    if (index >= 0) {
      this.seen = index + 1;
      return Promise.resolve(this.calls[index].args);
    }
    return new Promise((resolve) => this.waiters.push({ name, resolve }));
  }

  called(name: string): boolean {
    return this.calls.some((call) => call.name === name);
  }

  importState(state: number, details: Details = {}): void {
    this.emit('deviceAuthStateChanged', this.importId, state, details);
  }

  exportState(accountId: string, state: number, details: Details = {}): void {
    this.emit('addDeviceStateChanged', accountId, this.addDeviceResult, state, details);
  }

  async addAccount(details: Details): Promise<string> {
    this.record('addAccount', details);
    if (details['Account.archivePath'] !== undefined) {
      const answer = this.answerArchive(details);
      if (typeof answer !== 'string') throw new DaemonCallError('addAccount', answer[0], `addAccount failed: ${answer[1]}`, answer[1]);
      return answer;
    }
    for (const [state, d] of this.signalsBeforeAddAccountReply) this.importState(state, d);
    return this.importId;
  }

  async removeAccount(accountId: string): Promise<void> {
    this.record('removeAccount', accountId);
  }

  async provideAccountAuthentication(accountId: string, credentials: string, scheme: string): Promise<boolean> {
    this.record('provideAccountAuthentication', accountId, credentials, scheme);
    return true;
  }

  async addDevice(accountId: string, uri: string): Promise<number> {
    this.record('addDevice', accountId, uri);
    return this.addDeviceResult;
  }

  async confirmAddDevice(accountId: string, opId: number): Promise<boolean> {
    this.record('confirmAddDevice', accountId, opId);
    return true;
  }

  async cancelAddDevice(accountId: string, opId: number): Promise<boolean> {
    this.record('cancelAddDevice', accountId, opId);
    return true;
  }

  async getAccountList(): Promise<string[]> {
    return [...this.accounts.keys()];
  }

  async getAccountDetails(accountId: string): Promise<Details> {
    return this.accounts.get(accountId) ?? {};
  }

  /** The fake stores accounts at once. */
  async accountStored(): Promise<void> {}

  async exportToFile(accountId: string, destinationPath: string, scheme: string, password: string): Promise<boolean> {
    this.record('exportToFile', accountId, destinationPath, scheme, password);
    const answer = this.answerExport(accountId, destinationPath, scheme, password);
    if (typeof answer !== 'boolean') throw new DaemonCallError('exportToFile', answer[0], `exportToFile failed: ${answer[1]}`, answer[1]);
    return answer;
  }

  close(): void {
    this.closed = true;
  }

  private record(name: string, ...args: unknown[]): void {
    this.calls.push({ name, args });
    const waiter = this.waiters.find((w) => w.name === name);
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      this.seen = this.calls.length;
      waiter.resolve(args);
    }
  }
}
