// The export side's view of the importer's identity key, sorted like wormhole's Key sorts its messages: values
// come from a get and a listen in any order, the record possibly after its tombstones. Each batch yields at most
// one verdict: the identity (nothing against it), the token claimed by another exporter, or the import over.

import { claimantTag, parseIdentityValue, parseTombstone, type PublishedIdentity } from './temporary-identity.js';

const MAX_UNMATCHED_IDENTITY_VALUES = 16;

export type IdentityVerdict =
  | { readonly type: 'identity_found'; readonly identity: PublishedIdentity }
  | { readonly type: 'token_claimed' }
  | { readonly type: 'importer_gone' };

export class IdentityWatch {
  private identity: PublishedIdentity | undefined;
  /** Values seen before the record: tombstones can only be checked once we have its key. */
  private unmatched: Buffer[] = [];

  constructor(private readonly tokenId: string) {}

  /** `ownSession`: our offer's session once sent, so our own claim is not taken for another's. */
  add(values: readonly Buffer[], ownSession: string | undefined): IdentityVerdict | undefined {
    if (this.identity === undefined) {
      const identity = values.map((value) => parseIdentityValue(value, this.tokenId)).find((found) => found !== undefined);
      if (identity === undefined) {
        this.unmatched = [...this.unmatched, ...values].slice(-MAX_UNMATCHED_IDENTITY_VALUES);
        return undefined;
      }
      this.identity = identity;
      values = [...this.unmatched, ...values];
      this.unmatched = [];
    }
    const identity = this.identity;
    const tombstones = values.map((value) => parseTombstone(value, identity)).filter((found) => found !== undefined);
    const ownClaim = ownSession === undefined ? undefined : claimantTag(ownSession);
    if (tombstones.some((tombstone) => tombstone.reason === 'claimed' && tombstone.claimant !== ownClaim)) return { type: 'token_claimed' };
    if (tombstones.some((tombstone) => tombstone.reason === 'closed')) return { type: 'importer_gone' };
    return { type: 'identity_found', identity };
  }
}
