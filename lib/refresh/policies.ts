import type { TokenSet } from '../types';

/** Share of the skew removed at random so a fleet does not refresh in the same millisecond. */
const SKEW_JITTER = 0.2;

/**
 * When this process should start refreshing `token` proactively.
 * The skew never exceeds half the lifetime: a 60 s skew on a 90 s token would otherwise
 * refresh after 30 s, and on a 50 s token immediately and forever.
 */
export function refreshDueAt(token: TokenSet, skewMs: number, random: () => number): number {
  if (token.expiresAt === undefined) return Number.POSITIVE_INFINITY;
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  const skew = Math.min(skewMs, lifetime / 2);
  return token.expiresAt - skew * (1 - SKEW_JITTER * random());
}

/**
 * Poll delays for a process waiting on another's refresh. Without change notices, polling is how
 * a waiter learns: fast at first (10 ms), then backing off to 250 ms. With them, a notice wakes the
 * waiter the moment the token is written and polling only covers a lost notice: it starts at
 * 250 ms and backs off to 2 s, so P processes waiting on a refresh do not poll Redis while it runs.
 */
export function pollDelay(attempt: number, random: () => number, changeNotices: boolean): number {
  const base = changeNotices ? Math.min(2_000, 250 * 2 ** attempt) : Math.min(250, 10 * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}
