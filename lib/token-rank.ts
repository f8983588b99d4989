import type { CredentialTombstone, TokenSet } from './types';

/**
 * Which of two copies of a credential is the current one: the later grant (`generation`, set by
 * `setToken`), then the later version within a grant. Token sets from before generations existed
 * rank as generation 0.
 */
export function outranks(a: Pick<TokenSet, 'version' | 'generation'>, b: Pick<TokenSet, 'version' | 'generation'>): boolean {
  const ga = a.generation ?? 0;
  const gb = b.generation ?? 0;
  return ga !== gb ? ga > gb : a.version > b.version;
}

/** Whether a deletion fences `token` off: it belongs to a grant seeded no later than the deletion. */
export function deletedBy(token: Pick<TokenSet, 'generation'>, tombstone: CredentialTombstone | null): boolean {
  return tombstone !== null && (token.generation ?? 0) <= tombstone.deletedAt;
}
