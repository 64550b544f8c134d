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
  const ids = await daemon.getAccountList();
  const accounts: AccountSummary[] = [];
  for (const id of ids) {
    const details = await daemon.getAccountDetails(id);
    accounts.push({ id, alias: details['Account.alias'] ?? '', jamiId: details['Account.username'] ?? '', details });
  }
  return accounts;
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
  return pickAccount(await listAccounts(daemon), reference);
}
