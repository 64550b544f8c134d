// Turns what the user typed (an account id or an alias) into one account, through getAccountList +
// getAccountDetails; an unknown or ambiguous alias is a usage error that lists the candidates.

import { UsageError } from './command-context.js';
import type { Details, LinkDaemon } from './daemon-client.js';

export interface AccountSummary {
  id: string;
  alias: string;
  jamiId: string;
  details: Details;
}

export async function listAccounts(daemon: Pick<LinkDaemon, 'getAccountList' | 'getAccountDetails'>): Promise<AccountSummary[]> {
  return detailsOf(daemon, await daemon.getAccountList());
}

/** The accounts' details, asked all at once (the calls go out together, the replies come in their order). */
async function detailsOf(daemon: Pick<LinkDaemon, 'getAccountDetails'>, ids: readonly string[]): Promise<AccountSummary[]> {
  const all = await Promise.all(ids.map((id) => daemon.getAccountDetails(id)));
  return ids.map((id, i) => summaryOf(id, all[i]!));
}

function summaryOf(id: string, details: Details): AccountSummary {
  return { id, alias: details['Account.alias'] ?? '', jamiId: details['Account.username'] ?? '', details };
}

/** Picks the account `reference` names: an exact id first, then a unique alias. */
export function pickAccount(accounts: AccountSummary[], reference: string): AccountSummary {
  const byId = accounts.find((account) => account.id === reference);
  if (byId) return byId;
  const byAlias = accounts.filter((account) => account.alias === reference);
  if (byAlias.length === 1) return byAlias[0];
  if (byAlias.length > 1) {
    throw new UsageError(
      `the alias "${reference}" is ambiguous: ${byAlias.length} accounts have it (ids ${byAlias.map((a) => a.id).join(', ')}). Use the account id.`,
      { error: 'ambiguous_account', candidates: byAlias.map((a) => a.id) },
    );
  }
  throw new UsageError(`no account with the id or alias "${reference}" (see: jami-link accounts)`, { error: 'unknown_account' });
}

export async function resolveAccount(daemon: Pick<LinkDaemon, 'getAccountList' | 'getAccountDetails'>, reference: string): Promise<AccountSummary> {
  const ids = await daemon.getAccountList();
  // An id needs its own details only (one call, not one per account): an alias needs them all.
  if (ids.includes(reference)) return summaryOf(reference, await daemon.getAccountDetails(reference));
  return pickAccount(await detailsOf(daemon, ids), reference);
}
